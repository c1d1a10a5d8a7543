/**
 * Camera frames in the worker: per model, at most one frame runs and one waits. A frame that
 * arrives while another waits replaces it (newest wins): the older one is closed and answered
 * `dropped`, so the page counts it. The page posts every camera frame as it comes, and the engine
 * starts the next one as soon as it is free, without a round trip to the page: neither the camera
 * nor the engine waits, and no backlog builds up however slow the engine is.
 */

/** Absolute times (performance.timeOrigin + now(), comparable across page and worker), in ms. */
export interface FrameTimes {
  /** The frame's message reached the worker. */
  receivedAt: number;
  /**
   * When the worker's last run before that ended. A run that holds the worker's thread
   * (synchronous WASM) keeps messages unread until it ends: a frame posted before this time was
   * waiting for the engine, not in transit.
   */
  engineFreeAt: number;
  /** The engine took it (after waiting for the frame before it). */
  startedAt: number;
  /** Its result was ready to post back. */
  finishedAt: number;
}

export type FrameOutcome<R> = { kind: 'done'; result: R; times: FrameTimes } | { kind: 'dropped' };

interface Waiting<F, R> {
  frame: F;
  receivedAt: number;
  engineFreeAt: number;
  resolve(outcome: FrameOutcome<R>): void;
  reject(error: unknown): void;
}

/** End of the most recent run of any slot in this worker (see FrameTimes.engineFreeAt). */
let lastRunEnd = 0;

export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One macrotask: frames the page posted while a run held the worker's thread are still queued as
 * messages; handling them before the next pick lets the newest win. A MessageChannel message is
 * queued behind them (setTimeout would also do it, but is clamped to 4 ms when chained).
 */
export function afterQueuedMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export class LatestFrameSlot<F extends { close(): void }, R> {
  #waiting: Waiting<F, R> | undefined;
  #pumping = false;
  #running = 0;
  readonly #run: (frame: F) => Promise<R>;
  readonly #yield: () => Promise<void>;
  readonly #lanes: number;

  /**
   * `settle`: how to let already-posted frames arrive before picking one (tests pass their own).
   * `lanes`: frames that may run at once — 1, except for a model pipelined over several TPUs,
   * whose segment 0 takes the next frame while the later segments finish the one before.
   */
  constructor(run: (frame: F) => Promise<R>, settle: () => Promise<void> = afterQueuedMessages, lanes = 1) {
    this.#run = run;
    this.#yield = settle;
    this.#lanes = Math.max(1, lanes);
  }

  submit(frame: F): Promise<FrameOutcome<R>> {
    const receivedAt = absoluteNow();
    const engineFreeAt = lastRunEnd;
    return new Promise((resolve, reject) => {
      this.#drop();
      this.#waiting = { frame, receivedAt, engineFreeAt, resolve, reject };
      void this.#pump();
    });
  }

  /** Closes the waiting frame, if any (a newer one came, or the model went away). */
  #drop(): void {
    const old = this.#waiting;
    this.#waiting = undefined;
    if (!old) return;
    old.frame.close();
    old.resolve({ kind: 'dropped' });
  }

  /** Starts waiting frames while a lane is free; a finished run pumps again. */
  async #pump(): Promise<void> {
    if (this.#pumping || this.#running >= this.#lanes) return;
    this.#pumping = true;
    try {
      await this.#yield();
      while (this.#waiting && this.#running < this.#lanes) {
        const job = this.#waiting;
        this.#waiting = undefined;
        this.#running++;
        void this.#start(job).finally(() => {
          this.#running--;
          void this.#pump();
        });
        await this.#yield();
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #start(job: Waiting<F, R>): Promise<void> {
    const startedAt = absoluteNow();
    try {
      const result = await this.#run(job.frame);
      lastRunEnd = absoluteNow();
      const times = { receivedAt: job.receivedAt, engineFreeAt: job.engineFreeAt, startedAt, finishedAt: lastRunEnd };
      job.resolve({ kind: 'done', result, times });
    } catch (error) {
      lastRunEnd = absoluteNow();
      job.reject(error);
    }
  }

  /** Answers the waiting frame `dropped` (the running one still finishes). */
  clear(): void {
    this.#drop();
  }
}

/** A frame with what to do with it. */
export interface FrameJob<I, A> {
  image: I;
  args: A;
  close(): void;
}

/** One slot per loaded model: frames for different models never replace each other. */
export class FrameSlots<I, A, R> {
  readonly #slots = new Map<string, LatestFrameSlot<FrameJob<I, A>, R>>();
  readonly #run: (id: string, image: I, args: A) => Promise<R>;
  readonly #lanesOf: (id: string) => number;

  /** `lanesOf`: how many frames a model may run at once (see LatestFrameSlot); default 1. */
  constructor(run: (id: string, image: I, args: A) => Promise<R>, lanesOf: (id: string) => number = () => 1) {
    this.#run = run;
    this.#lanesOf = lanesOf;
  }

  submit(id: string, image: I, args: A, close: () => void): Promise<FrameOutcome<R>> {
    let slot = this.#slots.get(id);
    if (!slot) {
      slot = new LatestFrameSlot((job) => this.#run(id, job.image, job.args), afterQueuedMessages, this.#lanesOf(id));
      this.#slots.set(id, slot);
    }
    return slot.submit({ image, args, close });
  }

  /** The model was unloaded: its waiting frame is answered `dropped`. */
  forget(id: string): void {
    this.#slots.get(id)?.clear();
    this.#slots.delete(id);
  }
}
