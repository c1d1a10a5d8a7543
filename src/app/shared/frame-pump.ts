/**
 * The page's half of the camera frame path: every frame the camera delivers becomes a VideoFrame
 * transferred to the worker as it comes, where one runs and one waits, the newest winning
 * (src/worker/frame-slot.ts). The page never converts pixels, never waits for a result before
 * sending the next frame, and draws results in frame order.
 *
 * Frames are read from the camera track with a MediaStreamTrackProcessor where the browser has one
 * (Chromium): as the camera delivers them, 2–4 ms after capture on the fake camera here. Elsewhere
 * the video element's requestVideoFrameCallback hands them over, at the display's refresh (on a
 * 60 Hz display up to 17 ms later; 12 ms median measured here, in the same run as 3.6 ms from the
 * track). Chromium 156 has no MediaStreamTrackProcessor in workers and cannot transfer a track,
 * only the processor's stream: where the page's handlers can open a stream in the worker
 * (`openStream`), the worker reads the frames there (src/worker/frame-stream.ts), 1.6 ms sooner
 * than through the page, and the page only draws answers; it still decides which model frames run
 * on, handles failures and checks for a stalled camera. Otherwise the page reads and sends them.
 */
import { CaptureClock } from './capture-clock.ts';
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
  /** Sends one frame (ownership passes on: transfer it). */
  send(frame: VideoFrame, id: number): Promise<PumpAnswer<R>>;
  /**
   * Hands the camera's frame stream to the worker, which reads it there: frames then go from the
   * camera to the engine without the page. Without it, the page reads the track and sends frames.
   */
  openStream?(readable: ReadableStream<VideoFrame>): Promise<PumpStream<R>>;
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

  /**
   * How frames are read: from the camera track as delivered, in the worker (`worker`) or on the
   * page (`track`), or as the video presents them (`video`).
   */
  source: 'worker' | 'track' | 'video' | undefined;
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
    if (track && this.#processor && this.#handlers.openStream) {
      this.source = 'worker';
      this.track = track;
      this.#streamTrack(this.#processor, this.#handlers.openStream, track, video, run);
    } else if (track && this.#processor) {
      this.source = 'track';
      this.track = track;
      this.#readTrack(this.#processor, track, video, run);
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

  /**
   * Reads a clone of the track (stopping it leaves the page's video playing) until stop. Every
   * frame read is sent or closed here: a camera has few buffers, and one frame never closed stalls
   * it. The video's presented frames only calibrate the capture clock.
   */
  #readTrack(
    Processor: TrackProcessorConstructor,
    track: MediaStreamTrack,
    video: HTMLVideoElement,
    run: number,
  ): void {
    const clone = track.clone();
    const reader = new Processor({ track: clone }).readable.getReader();
    this.#stopSource = () => {
      reader.cancel().catch(() => undefined);
      clone.stop();
    };
    const clock = this.#captureClock(video, run);
    const next = (): void => {
      reader.read().then(
        (read) => {
          if (read.done) return;
          const frame = read.value;
          if (run !== this.#run) {
            frame.close();
            return;
          }
          this.#take(frame, clock.read(frame.timestamp, absoluteNow()));
          next();
        },
        // The track ended (the camera stopped or was restarted): the stall check starts again.
        () => undefined,
      );
    };
    next();
  }

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
   * newest, and the camera never has more than two frames open (see #take).
   */
  #streamTrack(
    Processor: TrackProcessorConstructor,
    open: NonNullable<FramePumpHandlers<R>['openStream']>,
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
      stream = await open(readable);
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

  /** A camera frame of the track is at the worker (sent, not answered yet). */
  #cameraFrameOut = false;
  /** Copies being made, sent in frame order after them. */
  #copies: Promise<void> = Promise.resolve();
  #copying = 0;

  /**
   * A frame read from the track: sent, or closed and counted dropped while the worker is full.
   * Chromium's camera stops delivering while two of its frames are open (measured in Chromium 156
   * on the fake camera: with two held, no frame came for 2 s; with one, all 30 a second did).
   * So one camera frame at a time goes to the worker as it is, which is every frame while the
   * engine keeps up with the camera; a frame that comes while one is out is copied into a frame
   * of the page's own (0.4–0.5 ms median here) and let go at once.
   */
  #take(frame: VideoFrame, capturedAt: number): void {
    this.lastFrameAt = performance.now();
    if (this.#outstanding >= MAX_OUTSTANDING) {
      frame.close();
      this.budget.drop();
      return;
    }
    const id = ++this.sentId;
    this.#outstanding++;
    if (!this.#cameraFrameOut && this.#copying === 0) {
      this.#cameraFrameOut = true;
      this.#send(frame, id, capturedAt).finally(() => (this.#cameraFrameOut = false));
      return;
    }
    const run = this.#run;
    this.#copying++;
    const copied = ownCopy(frame).finally(() => frame.close());
    this.#copies = this.#copies.then(async () => {
      let copy: VideoFrame;
      try {
        copy = await copied;
      } catch {
        // The frame could not be read (the camera stopped under it): it was not run.
        this.#outstanding--;
        this.budget.drop();
        return;
      } finally {
        this.#copying--;
      }
      if (run !== this.#run) {
        copy.close();
        this.#outstanding--;
        return;
      }
      void this.#send(copy, id, capturedAt);
    });
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

/** The frame's pixels in a VideoFrame of the page's own, holding none of the camera's buffers. */
async function ownCopy(frame: VideoFrame): Promise<VideoFrame> {
  const buffer = new ArrayBuffer(frame.allocationSize());
  const layout = await frame.copyTo(buffer);
  // `transfer` (not in TypeScript's DOM types yet) hands the buffer over instead of copying it again.
  const init: VideoFrameBufferInit & { transfer: ArrayBuffer[] } = {
    format: frame.format!,
    codedWidth: frame.codedWidth,
    codedHeight: frame.codedHeight,
    timestamp: frame.timestamp,
    layout,
    displayWidth: frame.displayWidth,
    displayHeight: frame.displayHeight,
    ...(frame.visibleRect ? { visibleRect: frame.visibleRect } : {}),
    colorSpace: frame.colorSpace.toJSON(),
    transfer: [buffer],
  };
  return new VideoFrame(buffer, init);
}
