/**
 * The page's half of the camera frame path: every frame the video presents becomes a VideoFrame
 * (no pixel copy: it shares the camera's buffer) transferred to the worker as it comes, where one
 * runs and one waits, the newest winning (src/worker/frame-slot.ts). The page never reads pixels,
 * never waits for a result before sending the next frame, and draws results in frame order.
 */
import { FrameBudget, type FrameStamps } from './frame-budget.ts';

/**
 * Frames sent and not answered yet, at most: the running one, the waiting one, and two on their
 * way. The worker's thread is busy during a synchronous run and reads its messages after it; a
 * cap keeps a slow engine from holding many camera buffers meanwhile (the camera has few).
 * Frames over the cap are not sent and count as dropped.
 */
const MAX_OUTSTANDING = 4;

export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/** What the worker says about one frame (FrameOutcome of the worker API, with its result mapped). */
export type PumpAnswer<R> =
  | {
      kind: 'done';
      result: R;
      times: { receivedAt: number; engineFreeAt: number; startedAt: number; finishedAt: number };
      stages?: WorkerStages;
    }
  | { kind: 'dropped' };

export interface WorkerStages {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export interface FramePumpHandlers<R> {
  /** Sends one frame (ownership passes on: transfer it). */
  send(frame: VideoFrame, id: number): Promise<PumpAnswer<R>>;
  /** A newer result to show; called in frame order. */
  show(result: R, id: number): void;
  /** A frame failed: the pump has stopped. */
  fail(error: unknown): void;
  /** A shown result was painted and the budget counts it (the page copies the figures then). */
  drawn?(): void;
}

export class FramePump<R> {
  readonly budget = new FrameBudget();
  /** Id of the last frame sent, and of the frame whose result is shown. */
  sentId = 0;
  shownId = 0;
  #outstanding = 0;
  #running = false;
  #video: HTMLVideoElement | undefined;
  #callback = 0;
  readonly #handlers: FramePumpHandlers<R>;

  constructor(handlers: FramePumpHandlers<R>) {
    this.#handlers = handlers;
  }

  get running(): boolean {
    return this.#running;
  }

  start(video: HTMLVideoElement): void {
    this.stop();
    this.#video = video;
    this.#running = true;
    this.budget.reset();
    this.lastFrameAt = performance.now();
    this.#callback = video.requestVideoFrameCallback((_now, meta) => this.#onFrame(meta));
  }

  stop(): void {
    this.#running = false;
    if (this.#video) this.#video.cancelVideoFrameCallback(this.#callback);
    this.#video = undefined;
  }

  /** When the video last presented a frame (performance.now()), to notice a camera that stalls. */
  lastFrameAt = 0;

  #onFrame(meta: VideoFrameCallbackMetadata): void {
    const video = this.#video;
    if (!this.#running || !video) return;
    this.lastFrameAt = performance.now();
    this.#callback = video.requestVideoFrameCallback((_now, m) => this.#onFrame(m));
    if (this.#outstanding >= MAX_OUTSTANDING) {
      this.budget.drop();
      return;
    }
    // The camera's capture time where the browser knows it, else when the frame reached the page.
    const capturedAt = performance.timeOrigin + (meta.captureTime ?? meta.presentationTime);
    let frame: VideoFrame;
    try {
      frame = new VideoFrame(video, { timestamp: Math.round(meta.mediaTime * 1e6) });
    } catch {
      // The video lost its frame (camera stopped between callback and here): nothing to send.
      return;
    }
    const id = ++this.sentId;
    this.#outstanding++;
    const sentAt = absoluteNow();
    this.#handlers
      .send(frame, id)
      .then((answer) => this.#answer(answer, id, capturedAt, sentAt))
      .catch((error: unknown) => {
        if (!this.#running) return;
        this.stop();
        this.#handlers.fail(error);
      })
      .finally(() => this.#outstanding--);
  }

  #answer(answer: PumpAnswer<R>, id: number, capturedAt: number, sentAt: number): void {
    const answeredAt = absoluteNow();
    // A result of an older frame than the one shown, or after stop, is not drawn.
    if (answer.kind === 'dropped' || !this.#running || id < this.shownId) {
      if (answer.kind === 'dropped') this.budget.drop();
      return;
    }
    this.shownId = id;
    this.#handlers.show(answer.result, id);
    const stages = answer.stages ?? { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
    // The overlay is drawn by the next animation frame, just before the browser paints it.
    requestAnimationFrame(() => {
      const stamps: FrameStamps = {
        capturedAt,
        sentAt,
        ...answer.times,
        answeredAt,
        drawnAt: absoluteNow(),
        ...stages,
      };
      this.budget.add(stamps);
      this.#handlers.drawn?.();
    });
  }
}
