/**
 * The page's half of the camera frame path. Where the browser has a MediaStreamTrackProcessor
 * (Chromium), the page hands the worker the processor's stream of a clone of the camera track and
 * the worker reads every frame there as the camera delivers it (src/worker/frame-stream.ts): frames
 * go from the camera to the engine without the page, 1.6 ms sooner than through it, and no camera
 * frame is ever copied. (Chromium 156 cannot transfer a track, nor make a processor in a worker;
 * any browser with a processor can transfer its stream.) The page still decides which model frames
 * run on, handles failures, checks for a stalled camera, and draws the answers in frame order.
 *
 * Elsewhere the video element's requestVideoFrameCallback hands frames over at the display's
 * refresh (on a 60 Hz display up to 17 ms after capture; 12 ms median measured here against 3.6 ms
 * from the track), and the page transfers each as a VideoFrame; at most one runs and one waits in
 * the worker, the newest winning (src/worker/frame-slot.ts).
 */
import { CaptureClock } from './capture-clock.ts';
import { FrameBudget, type FrameStamps } from './frame-budget.ts';

/**
 * Frames sent from the video and not answered yet, at most: the running one, the waiting one, and
 * two on their way. The worker's thread is busy during a synchronous run and reads its messages
 * after it; a cap keeps a slow engine from holding many frames meanwhile. Frames over the cap are
 * not sent and count as dropped.
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

/** A frame read in the worker: its id there, its own timestamp (µs), when it was read (absolute ms). */
export interface StreamFrame {
  frameId: number;
  timestamp: number;
  readAt: number;
  /** The newest frame id read in the worker when this answer left it (ids count every frame read). */
  newest: number;
}

/** Camera frames read in the worker (src/worker/frame-stream.ts), answered in frame order. */
export interface PumpStream<R> {
  /** The next frame's answer; `ended` when the stream is done. Rejects when a frame failed. */
  next(): Promise<(StreamFrame & PumpAnswer<R>) | { kind: 'ended' }>;
  close(): void;
}

export interface FramePumpHandlers<R> {
  /** Sends one frame the video presented (ownership passes on: transfer it). */
  send(frame: VideoFrame, id: number): Promise<PumpAnswer<R>>;
  /** Hands the camera's frame stream to the worker, which reads it there (where there is a track reader). */
  openStream(readable: ReadableStream<VideoFrame>): Promise<PumpStream<R>>;
  /**
   * A newer result to show; called in frame order. The overlay must be drawn when it returns (the
   * frame's end-to-end time ends then; the screen shows it at its next refresh).
   */
  show(result: R, id: number): void;
  /** A frame failed: the pump has stopped. */
  fail(error: unknown): void;
  /** A shown result reached the next animation frame and the budget counts it (the page copies the figures then). */
  drawn?(): void;
}

/** The breakout box's reader of a camera track (Chromium; not in TypeScript's DOM types yet). */
export type TrackProcessorConstructor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => {
  readonly readable: ReadableStream<VideoFrame>;
};

function browserTrackProcessor(): TrackProcessorConstructor | undefined {
  return (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor;
}

export class FramePump<R> {
  readonly budget = new FrameBudget();
  /** Id of the last frame sent, and of the frame whose result is shown. */
  sentId = 0;
  shownId = 0;
  #outstanding = 0;
  #running = false;
  /** Bumped by every start and stop: a reader or callback of an earlier run ends. */
  #run = 0;
  #video: HTMLVideoElement | undefined;
  #callback = 0;
  #stopSource: (() => void) | undefined;
  readonly #handlers: FramePumpHandlers<R>;
  readonly #processor: TrackProcessorConstructor | undefined;

  /** `processor`: the MediaStreamTrackProcessor to read tracks with (tests pass theirs); none: the video's frame callbacks. */
  constructor(
    handlers: FramePumpHandlers<R>,
    processor: TrackProcessorConstructor | undefined = browserTrackProcessor(),
  ) {
    this.#handlers = handlers;
    this.#processor = processor;
  }

  get running(): boolean {
    return this.#running;
  }

  /** How frames are read: from the camera track as delivered, in the worker, or as the video presents them. */
  source: 'worker' | 'video' | undefined;
  /** The camera track read (a restarted camera has a new one). */
  track: MediaStreamTrack | undefined;

  /** Starts sending frames of `track` (read as the camera delivers them) or else of what `video` presents. */
  start(video: HTMLVideoElement, track?: MediaStreamTrack): void {
    this.stop();
    const run = this.#run;
    this.#video = video;
    this.#running = true;
    this.budget.reset();
    this.lastFrameAt = performance.now();
    if (track && this.#processor) {
      this.source = 'worker';
      this.track = track;
      this.#streamTrack(this.#processor, track, video, run);
    } else {
      this.source = 'video';
      this.#callback = video.requestVideoFrameCallback((_now, meta) => this.#onPresented(meta, run));
    }
  }

  stop(): void {
    this.#run++;
    this.#running = false;
    if (this.#video) this.#video.cancelVideoFrameCallback(this.#callback);
    this.#video = undefined;
    this.#stopSource?.();
    this.#stopSource = undefined;
    this.source = undefined;
    this.track = undefined;
  }

  /** When the camera last delivered a frame (performance.now()), to notice a camera that stalls. */
  lastFrameAt = 0;

  /** A clock for the frames' capture times, calibrated by the frames `video` presents (capture-clock.ts). */
  #captureClock(video: HTMLVideoElement, run: number): CaptureClock {
    const clock = new CaptureClock();
    const calibrate = (meta: VideoFrameCallbackMetadata): void => {
      if (run !== this.#run || meta.captureTime === undefined) return;
      clock.presented(performance.timeOrigin + meta.captureTime);
      if (!clock.calibrated) this.#callback = video.requestVideoFrameCallback((_now, m) => calibrate(m));
    };
    this.#callback = video.requestVideoFrameCallback((_now, meta) => calibrate(meta));
    return clock;
  }

  /**
   * Hands a clone of the track's frame stream to the worker and takes its answers until stop. The
   * processor buffers one frame at most: while the worker's thread is busy in a run it keeps the
   * newest, and the camera never has more than two frames open (Chromium 156's camera stops
   * delivering while the page holds two).
   */
  #streamTrack(
    Processor: TrackProcessorConstructor,
    track: MediaStreamTrack,
    video: HTMLVideoElement,
    run: number,
  ): void {
    const clone = track.clone();
    const readable = new Processor({ track: clone, maxBufferSize: 1 }).readable;
    let stream: PumpStream<R> | undefined;
    this.#stopSource = () => {
      stream?.close();
      clone.stop();
    };
    const clock = this.#captureClock(video, run);
    const skipped = skippedFrames(video);
    const loop = async (): Promise<void> => {
      stream = await this.#handlers.openStream(readable);
      if (run !== this.#run) stream.close();
      while (run === this.#run) {
        const answer = await stream.next();
        // The track ended (the camera stopped or was restarted): the stall check starts again.
        if (answer.kind === 'ended' || run !== this.#run) return;
        this.lastFrameAt = performance.now();
        this.sentId = Math.max(this.sentId, answer.newest);
        for (let i = skipped(answer.newest); i > 0; i--) this.budget.drop();
        const capturedAt = clock.read(answer.timestamp, answer.readAt);
        // Read in the worker is when the frame entered Reef's path (capture ends there, nothing is
        // in transit), unless it was captured while a run held the worker's thread: it then waited
        // in the camera stream's one-frame buffer for the engine, from its capture on.
        const busy = answer.kind === 'done' && capturedAt < answer.times.engineFreeAt;
        this.#answer(answer, answer.frameId, capturedAt, busy ? capturedAt : answer.readAt);
      }
    };
    loop().catch((error: unknown) => {
      if (run !== this.#run) return;
      this.stop();
      this.#handlers.fail(error);
    });
  }

  /** A frame the video presented (no track reader): made into a VideoFrame only when it can go. */
  #onPresented(meta: VideoFrameCallbackMetadata, run: number): void {
    const video = this.#video;
    if (run !== this.#run || !video) return;
    this.lastFrameAt = performance.now();
    this.#callback = video.requestVideoFrameCallback((_now, m) => this.#onPresented(m, run));
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
    this.#outstanding++;
    void this.#send(frame, ++this.sentId, capturedAt);
  }

  /** Sends one frame (the outstanding count already includes it); settles when it is answered. */
  #send(frame: VideoFrame, id: number, capturedAt: number): Promise<void> {
    const sentAt = absoluteNow();
    return this.#handlers
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
    const drawnAt = absoluteNow();
    // The browser paints the drawn overlay after its next animation frame: the wait for the
    // display's refresh is reported beside the frame's end-to-end time, not in it.
    requestAnimationFrame(() => {
      const stamps: FrameStamps = {
        capturedAt,
        sentAt,
        ...answer.times,
        answeredAt,
        drawnAt,
        paintedAt: absoluteNow(),
        ...stages(answer),
      };
      this.budget.add(stamps);
      this.#handlers.drawn?.();
    });
  }
}

/**
 * Camera frames the worker never read: its stream keeps only the newest frame while a run holds the
 * worker's thread. The video element gets every frame the camera delivers (its playback quality
 * counts them), the worker's answers say how many it read: the difference, less one on its way,
 * is what the stream skipped. Returns a counter of newly skipped frames for each answer.
 */
export function skippedFrames(video: Pick<HTMLVideoElement, 'getVideoPlaybackQuality'>): (read: number) => number {
  const delivered = (): number | undefined => video.getVideoPlaybackQuality?.().totalVideoFrames;
  const start = delivered();
  let counted = 0;
  return (read) => {
    const now = delivered();
    if (start === undefined || now === undefined) return 0;
    const skipped = now - start - read - 1;
    if (skipped <= counted) return 0;
    const more = skipped - counted;
    counted = skipped;
    return more;
  };
}

function stages(answer: PumpAnswer<unknown> & { kind: 'done' }): WorkerStages {
  return answer.stages ?? { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
}
