/**
 * A camera read in the worker. The page transfers the stream of its MediaStreamTrackProcessor
 * here (Chromium cannot transfer the track, nor make a processor in a worker), and every frame goes
 * from the stream straight to the model's frame slot (frame-slot.ts: one runs, one waits, the
 * newest wins) without a trip through the page: measured here, frames reached the engine 1.6 ms
 * sooner that way, and the page's thread does nothing per frame but draw results.
 *
 * The page keeps the decisions: it says which model, task and options frames run on (`target`,
 * tagged with a key of its own; nothing runs before it), it pulls answers in frame order (`next`)
 * and handles failures (an unplugged Coral → WASM) by setting a new target.
 *
 * Camera frames are few: the running frame is closed as soon as its pixels are in the input, a
 * waiting one when a newer one replaces it, and with the page's processor buffering one frame at
 * most, no more than two are open here at any time (Chromium 156's camera stops delivering when the
 * page holds two). A frame the processor dropped while this thread was busy in a run is never seen
 * here: the page counts those against the frames its video element got (`newest` says how many
 * were read).
 */
import type { FrameOutcome, FrameTimes } from './frame-slot.ts';

/** What frames run on: a loaded model, its task and options; `key` is the page's tag for it. */
export interface StreamTarget<T, O> {
  key: number;
  id: string;
  task: T;
  options: O;
}

/** One frame read from the stream, answered in frame order. */
export type StreamAnswer<R> = {
  /** 1, 2, … in the order frames were read. */
  frameId: number;
  /** The frame's own timestamp (µs; the capture clock, which the page maps to its own time). */
  timestamp: number;
  /** Absolute ms (performance.timeOrigin + now()) when it was read here. */
  readAt: number;
  /** The target key it ran on. */
  key: number;
  /** The newest frame read when this answer was handed out: how far the camera is ahead of it. */
  newest: number;
  /** The frame's display size (what boxes and masks are relative to on the page). */
  width: number;
  height: number;
} & ({ kind: 'done'; result: R; times: FrameTimes } | { kind: 'dropped' } | { kind: 'failed'; error: unknown });

/** The stream ended (camera stopped) or was closed. */
export interface StreamEnded {
  kind: 'ended';
}

export type RunFrame<R, T, O> = (
  target: StreamTarget<T, O>,
  frame: VideoFrame,
  close: () => void,
) => Promise<FrameOutcome<R>>;

/** Answers kept for a page that is slow to pull them: older ones beyond this are let go. */
const MAX_UNREAD_ANSWERS = 8;

export class FrameStream<R, T, O> {
  readonly #reader: ReadableStreamDefaultReader<VideoFrame>;
  readonly #run: RunFrame<R, T, O>;
  #target: StreamTarget<T, O> | undefined;
  #frameId = 0;
  /** Answers by frame id, delivered in order; a frame id whose answer is pending has a slot. */
  readonly #pending = new Map<number, StreamAnswer<R> | undefined>();
  #nextToDeliver = 1;
  #waiter: ((answer: StreamAnswer<R> | StreamEnded) => void) | undefined;
  #ended = false;

  constructor(readable: ReadableStream<VideoFrame>, run: RunFrame<R, T, O>) {
    this.#reader = readable.getReader();
    this.#run = run;
    void this.#read();
  }

  /** Frames from now on run on `target` (before the first, they are closed unread). */
  setTarget(target: StreamTarget<T, O>): void {
    this.#target = target;
  }

  /** The next answer in frame order (waits for it), or `ended` once the stream is done. */
  next(): Promise<StreamAnswer<R> | StreamEnded> {
    const ready = this.#take();
    if (ready) return Promise.resolve(ready);
    if (this.#ended && this.#pending.size === 0) return Promise.resolve({ kind: 'ended' });
    // One pull at a time: a second one replaces the first, which is told the stream ended.
    this.#waiter?.({ kind: 'ended' });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Stops reading; frames still held are closed by their runs or the slot. */
  close(): void {
    this.#end();
    this.#reader.cancel().catch(() => undefined);
  }

  async #read(): Promise<void> {
    for (;;) {
      let read: ReadableStreamReadResult<VideoFrame>;
      try {
        read = await this.#reader.read();
      } catch {
        break;
      }
      if (read.done) break;
      this.#admit(read.value);
    }
    this.#end();
  }

  #admit(frame: VideoFrame): void {
    const target = this.#target;
    if (this.#ended || !target) {
      frame.close();
      return;
    }
    const frameId = ++this.#frameId;
    const base = {
      frameId,
      timestamp: frame.timestamp,
      readAt: performance.timeOrigin + performance.now(),
      key: target.key,
      newest: frameId,
      width: frame.displayWidth,
      height: frame.displayHeight,
    };
    this.#pending.set(frameId, undefined);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      frame.close();
    };
    this.#run(target, frame, close).then(
      (outcome) => this.#settle({ ...base, ...outcome }),
      (error: unknown) => {
        close();
        this.#settle({ ...base, kind: 'failed', error });
      },
    );
  }

  #settle(answer: StreamAnswer<R>): void {
    this.#pending.set(answer.frameId, answer);
    // A page that stopped pulling must not make answers pile up: the oldest settled ones go.
    while (this.#pending.size > MAX_UNREAD_ANSWERS && this.#pending.get(this.#nextToDeliver) !== undefined) {
      this.#pending.delete(this.#nextToDeliver++);
    }
    this.#deliver();
  }

  #take(): StreamAnswer<R> | undefined {
    const answer = this.#pending.get(this.#nextToDeliver);
    if (!answer) return undefined;
    this.#pending.delete(this.#nextToDeliver++);
    return { ...answer, newest: this.#frameId };
  }

  #deliver(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const answer = this.#take();
    if (answer) {
      this.#waiter = undefined;
      waiter(answer);
    } else if (this.#ended && this.#pending.size === 0) {
      this.#waiter = undefined;
      waiter({ kind: 'ended' });
    }
  }

  #end(): void {
    this.#ended = true;
    this.#target = undefined;
    this.#deliver();
  }
}
