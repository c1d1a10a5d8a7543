/**
 * Runs a model compiled as N segments across devices: segment k's outputs feed segment k+1's
 * inputs. Each segment is a stage with its own worker loop, so while segment 1 works on frame n,
 * segment 0 already works on frame n+1. Queues between stages are bounded (backpressure: `push`
 * waits when the first queue is full), results come out in input order, and stages placed on the
 * same device take turns on it (fewer devices than segments still works, just without overlap).
 */
import { ReefError } from '../errors.ts';

export type Tensors = Uint8Array[];

export interface PipelineStage {
  /** Shown in stats and errors, e.g. `segment 0 on usb:1`. */
  name: string;
  /** Stages with the same device id never run at the same time. */
  deviceId: string;
  run(inputs: Tensors): Promise<Tensors>;
}

export interface StageStats {
  name: string;
  deviceId: string;
  runs: number;
  totalMs: number;
  meanMs: number;
}

export interface PipelineOptions {
  /** Items that may wait between two stages (and before the first). */
  queueDepth?: number;
  now?: () => number;
}

interface Item {
  seq: number;
  tensors: Tensors;
}

type Outcome = { ok: true; seq: number; tensors: Tensors } | { ok: false; seq: number; error: unknown };

/** A FIFO whose `put` waits while full and whose `take` waits while empty; `close` ends both. */
class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #closed = false;
  #takers: ((value: T | undefined) => void)[] = [];
  #putters: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  get size(): number {
    return this.#items.length;
  }
  async put(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => this.#putters.push(resolve));
    }
    if (this.#closed) throw new ReefError('CANCELLED', 'pipeline stopped');
    const taker = this.#takers.shift();
    if (taker) taker(item);
    else this.#items.push(item);
  }
  async take(): Promise<T | undefined> {
    const item = this.#items.shift();
    if (item !== undefined) {
      this.#putters.shift()?.();
      return item;
    }
    if (this.#closed) return undefined;
    return new Promise<T | undefined>((resolve) => this.#takers.push(resolve));
  }
  close(): void {
    this.#closed = true;
    for (const t of this.#takers.splice(0)) t(undefined);
    for (const p of this.#putters.splice(0)) p();
  }
  drain(): T[] {
    return this.#items.splice(0);
  }
}

/** One lock per device: stages sharing a TPU queue for it in arrival order. */
class DeviceLocks {
  readonly #tails = new Map<string, Promise<void>>();
  async with<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(deviceId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#tails.set(
      deviceId,
      previous.then(() => mine),
    );
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

export class PipelinedRunner {
  readonly #stages: PipelineStage[];
  readonly #queues: BoundedQueue<Outcome | Item>[];
  readonly #results = new Map<number, Outcome>();
  readonly #waiters = new Map<number, (o: Outcome) => void>();
  readonly #stats: StageStats[];
  readonly #locks = new DeviceLocks();
  readonly #now: () => number;
  readonly #loops: Promise<void>[];
  #nextIn = 0;
  #nextOut = 0;
  #stopped = false;

  constructor(stages: PipelineStage[], options: PipelineOptions = {}) {
    if (stages.length === 0) throw new ReefError('INVALID_ARGUMENT', 'a pipeline needs at least one segment');
    const depth = options.queueDepth ?? 2;
    if (!Number.isInteger(depth) || depth < 1)
      throw new ReefError('INVALID_ARGUMENT', `queue depth ${depth} must be ≥ 1`);
    this.#stages = stages;
    this.#now = options.now ?? (() => performance.now());
    this.#queues = stages.map(() => new BoundedQueue<Outcome | Item>(depth));
    this.#stats = stages.map((s) => ({ name: s.name, deviceId: s.deviceId, runs: 0, totalMs: 0, meanMs: 0 }));
    this.#loops = stages.map((_, k) => this.#stageLoop(k));
  }

  /** Number of items pushed whose result has not been popped yet. */
  get inFlight(): number {
    return Math.max(0, this.#nextIn - this.#nextOut);
  }

  /** Queues an input for segment 0; waits while the pipeline is full. */
  async push(inputs: Tensors): Promise<void> {
    if (this.#stopped) throw new ReefError('FAILED_PRECONDITION', 'pipeline is stopped');
    const seq = this.#nextIn++;
    await this.#queues[0]!.put({ seq, tensors: inputs });
  }

  /**
   * The next result in input order; throws the error of the segment that failed for that item.
   * A consumer may pop ahead of the producer: the pop waits for its push (or for stop()).
   */
  async pop(): Promise<Tensors> {
    if (this.#stopped && this.#nextOut >= this.#nextIn) throw cancelled();
    const seq = this.#nextOut++;
    const ready = this.#results.get(seq);
    const outcome = ready ?? (await new Promise<Outcome>((resolve) => this.#waiters.set(seq, resolve)));
    this.#results.delete(seq);
    if (!outcome.ok) throw outcome.error;
    return outcome.tensors;
  }

  /** Waits for every pushed item and returns their results in order. */
  async flush(): Promise<Tensors[]> {
    const out: Tensors[] = [];
    while (this.inFlight > 0) out.push(await this.pop());
    return out;
  }

  /** Stops accepting work; queued items are dropped and pending pops fail with CANCELLED. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const q of this.#queues) {
      for (const item of q.drain()) this.#finish({ ok: false, seq: item.seq, error: cancelled() });
      q.close();
    }
    await Promise.allSettled(this.#loops);
    for (let seq = this.#nextOut; seq < this.#nextIn; seq++) {
      if (!this.#results.has(seq)) this.#finish({ ok: false, seq, error: cancelled() });
    }
    // Pops that ran ahead of any push.
    for (const [seq, waiter] of this.#waiters) {
      this.#waiters.delete(seq);
      waiter({ ok: false, seq, error: cancelled() });
    }
  }

  stats(): StageStats[] {
    return this.#stats.map((s) => ({ ...s }));
  }

  async #stageLoop(k: number): Promise<void> {
    const stage = this.#stages[k]!;
    const last = k === this.#stages.length - 1;
    for (;;) {
      const item = await this.#queues[k]!.take();
      if (item === undefined) return;
      let outcome: Outcome;
      if ('ok' in item) {
        outcome = item; // an earlier segment failed: pass the failure along in order
      } else {
        const started = this.#now();
        try {
          const tensors = await this.#locks.with(stage.deviceId, () => stage.run(item.tensors));
          outcome = { ok: true, seq: item.seq, tensors };
        } catch (error) {
          outcome = { ok: false, seq: item.seq, error };
        }
        const s = this.#stats[k]!;
        s.runs++;
        s.totalMs += this.#now() - started;
        s.meanMs = s.totalMs / s.runs;
      }
      if (last) this.#finish(outcome);
      else {
        try {
          await this.#queues[k + 1]!.put(outcome.ok ? { seq: outcome.seq, tensors: outcome.tensors } : outcome);
        } catch {
          // The next queue closed because the pipeline stopped; stop() settles this item.
          return;
        }
      }
    }
  }

  #finish(outcome: Outcome): void {
    const waiter = this.#waiters.get(outcome.seq);
    if (waiter) {
      this.#waiters.delete(outcome.seq);
      waiter(outcome);
    } else this.#results.set(outcome.seq, outcome);
  }
}

function cancelled(): ReefError {
  return new ReefError('CANCELLED', 'pipeline stopped before this input finished');
}
