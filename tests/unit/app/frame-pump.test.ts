/**
 * The page's frame pump: camera frames read from the track as delivered (MediaStreamTrackProcessor)
 * go to the worker, each closed exactly once; results are shown newest first and in frame order; without a
 * track processor the video's frame callbacks take over.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FramePump,
  skippedFrames,
  type PumpAnswer,
  type PumpStream,
  type StreamFrame,
  type TrackProcessorConstructor,
} from '../../../src/app/shared/frame-pump.ts';

/** Camera frames open now, and the most ever open at once (Chromium's camera stops at two). */
const buffers = { open: 0, mostOpen: 0 };

/** A camera frame that counts its closes (a frame closed twice, or never, is a bug). */
class Frame {
  closes = 0;
  #opened = false;
  readonly n: number;
  readonly timestamp: number;
  readonly format = 'I420';
  readonly codedWidth = 2;
  readonly codedHeight = 2;
  readonly displayWidth = 2;
  readonly displayHeight = 2;
  readonly colorSpace = { toJSON: () => ({}) };
  constructor(n: number, timestamp = n * 33_333) {
    this.n = n;
    this.timestamp = timestamp;
  }
  /** The pump read it from the camera: it holds one of the camera's buffers until closed. */
  open(): void {
    this.#opened = true;
    buffers.open++;
    buffers.mostOpen = Math.max(buffers.mostOpen, buffers.open);
  }
  allocationSize(): number {
    return 6;
  }
  async copyTo(buffer: ArrayBuffer): Promise<PlaneLayout[]> {
    if (this.closes > 0) throw new Error('closed');
    new Uint8Array(buffer).fill(this.n);
    return [{ offset: 0, stride: 2 }];
  }
  close(): void {
    if (this.closes === 0 && this.#opened) buffers.open--;
    this.closes++;
  }
}

/** A frame the page made of a camera frame's pixels (the VideoFrame(buffer, init) constructor). */
class CopiedFrame {
  closes = 0;
  readonly n: number;
  readonly timestamp: number;
  constructor(buffer: ArrayBuffer, init: { timestamp: number }) {
    this.n = new Uint8Array(buffer)[0]!;
    this.timestamp = init.timestamp;
    copies.push(this);
  }
  close(): void {
    this.closes++;
  }
}
let copies: CopiedFrame[] = [];

class Track {
  stopped = false;
  readonly clones: Track[] = [];
  clone(): Track {
    const c = new Track();
    this.clones.push(c);
    return c;
  }
  stop(): void {
    this.stopped = true;
  }
}

/**
 * A MediaStreamTrackProcessor whose camera the test drives: `deliver` queues a frame, which the
 * stream hands out (and counts open) when the pump reads; after cancel nothing can be delivered.
 */
function fakeProcessor(): { Processor: TrackProcessorConstructor; deliver(f: Frame): void; tracks: Track[] } {
  const queue: Frame[] = [];
  let wake: (() => void) | undefined;
  let cancelled = false;
  const tracks: Track[] = [];
  class Processor {
    readonly readable: ReadableStream<Frame>;
    constructor(init: { track: MediaStreamTrack }) {
      tracks.push(init.track as unknown as Track);
      this.readable = new ReadableStream<Frame>(
        {
          pull: async (controller) => {
            while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
            const frame = queue.shift()!;
            frame.open();
            controller.enqueue(frame);
          },
          cancel: () => void (cancelled = true),
        },
        { highWaterMark: 0 },
      );
    }
  }
  return {
    Processor: Processor as unknown as TrackProcessorConstructor,
    deliver: (f) => {
      if (cancelled) throw new Error('the stream was cancelled');
      queue.push(f);
      wake?.();
    },
    tracks,
  };
}

class Video {
  callbacks = new Map<number, VideoFrameRequestCallback>();
  #next = 0;
  requestVideoFrameCallback(cb: VideoFrameRequestCallback): number {
    this.callbacks.set(++this.#next, cb);
    return this.#next;
  }
  cancelVideoFrameCallback(id: number): void {
    this.callbacks.delete(id);
  }
  /** Presents a frame captured at `captureTime` (performance.now() ms). */
  present(captureTime: number): void {
    const pending = [...this.callbacks.values()];
    this.callbacks.clear();
    const meta = { captureTime, presentationTime: captureTime, mediaTime: captureTime / 1000 };
    for (const cb of pending) cb(performance.now(), meta as VideoFrameCallbackMetadata);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A worker that holds each frame (as transferred: it closes it) until the test answers it. */
function heldWorker(): {
  send(frame: VideoFrame, id: number): Promise<PumpAnswer<number>>;
  held: { frame: Frame | CopiedFrame; id: number; answer(a: PumpAnswer<number>): void }[];
} {
  const held: { frame: Frame | CopiedFrame; id: number; answer(a: PumpAnswer<number>): void }[] = [];
  return {
    held,
    send: (frame, id) =>
      new Promise((resolve) => {
        held.push({
          frame: frame as unknown as Frame,
          id,
          answer: (a) => {
            (frame as unknown as Frame).close();
            resolve(a);
          },
        });
      }),
  };
}

function done(result: number): PumpAnswer<number> {
  const t = performance.timeOrigin + performance.now();
  return {
    kind: 'done',
    result,
    times: { receivedAt: t, engineFreeAt: t, startedAt: t, finishedAt: t },
    stages: { preprocessMs: 1, inferenceMs: 2, postprocessMs: 1 },
  };
}

beforeEach(() => {
  vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => setTimeout(() => cb(performance.now()), 0));
  vi.stubGlobal('VideoFrame', CopiedFrame);
  copies = [];
  buffers.open = 0;
  buffers.mostOpen = 0;
});
afterEach(() => vi.unstubAllGlobals());

describe('FramePump on a camera track', () => {
  it('sends every frame the camera delivers, each closed exactly once, and keeps going past the camera’s buffers', async () => {
    const camera = fakeProcessor();
    const shown: number[] = [];
    const pump = new FramePump<number>(
      {
        // The worker answers each frame at once (and closes it, as a transferred frame is).
        send: async (frame, id) => {
          (frame as unknown as Frame).close();
          return done(id);
        },
        show: (r) => shown.push(r),
        fail: (e) => {
          throw e;
        },
      },
      camera.Processor,
    );
    const track = new Track();
    const video = new Video();
    pump.start(video as unknown as HTMLVideoElement, track as unknown as MediaStreamTrack);
    expect(pump.source).toBe('track');
    const frames = Array.from({ length: 200 }, (_, i) => new Frame(i));
    for (const f of frames) {
      camera.deliver(f);
      await settle();
    }
    expect(frames.map((f) => f.closes)).toEqual(frames.map(() => 1));
    expect(pump.sentId).toBe(200);
    expect(shown.at(-1)).toBe(200);
    // The worker kept up: every frame went as it was, none was copied.
    expect(copies).toHaveLength(0);
    expect(buffers.mostOpen).toBe(1);
    // A clone was read, not the page's own track (its video keeps playing).
    expect(camera.tracks).toEqual(track.clones);
    pump.stop();
    expect(track.clones[0]!.stopped).toBe(true);
    expect(track.stopped).toBe(false);
  });

  it('copies frames that come while a camera frame is out, drops those over the cap, and closes each once', async () => {
    const camera = fakeProcessor();
    const worker = heldWorker();
    const shown: number[] = [];
    const pump = new FramePump<number>(
      { send: worker.send, show: (r) => shown.push(r), fail: () => undefined },
      camera.Processor,
    );
    pump.start(new Video() as unknown as HTMLVideoElement, new Track() as unknown as MediaStreamTrack);
    const frames = Array.from({ length: 10 }, (_, i) => new Frame(i));
    for (const f of frames) camera.deliver(f);
    await settle();
    // Four outstanding at most: frame 0 as it was, 1–3 as copies (the camera stops while two of its
    // frames are open), in frame order with their own timestamps; the six over the cap were closed.
    expect(worker.held.map((h) => h.frame.n)).toEqual([0, 1, 2, 3]);
    expect(worker.held[0]!.frame).toBe(frames[0]);
    expect(worker.held.slice(1).map((h) => h.frame)).toEqual(copies);
    expect(copies.map((c) => c.timestamp)).toEqual([1, 2, 3].map((n) => frames[n]!.timestamp));
    expect(frames.map((f) => f.closes)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(buffers.open).toBe(1);
    expect(buffers.mostOpen).toBeLessThanOrEqual(2);
    // The worker answers: frame 2 replaced frame 1 while it waited (newest wins), and frame 3's
    // result comes before frame 0's, which is then too old to show.
    worker.held[3]!.answer(done(3));
    await settle();
    worker.held[1]!.answer({ kind: 'dropped' });
    worker.held[0]!.answer(done(0));
    worker.held[2]!.answer(done(2));
    await settle();
    await settle();
    expect(shown).toEqual([3]);
    expect(frames.map((f) => f.closes)).toEqual(frames.map(() => 1));
    expect(copies.map((c) => c.closes)).toEqual([1, 1, 1]);
    expect(pump.budget.summary().dropped).toBe(7);
    // Room again, and no camera frame out: the next frame is sent as it is.
    const next = new Frame(10);
    camera.deliver(next);
    await settle();
    expect(worker.held.at(-1)!.frame).toBe(next);
    expect(pump.shownId).toBe(4);
  });

  it('after stop a frame still delivered is closed, not sent, and the camera clone is stopped', async () => {
    const camera = fakeProcessor();
    const worker = heldWorker();
    const pump = new FramePump<number>(
      { send: worker.send, show: () => undefined, fail: () => undefined },
      camera.Processor,
    );
    const track = new Track();
    pump.start(new Video() as unknown as HTMLVideoElement, track as unknown as MediaStreamTrack);
    const first = new Frame(0);
    camera.deliver(first);
    await settle();
    pump.stop();
    // The stream was cancelled by stop: nothing more reaches the worker.
    expect(() => camera.deliver(new Frame(1))).toThrow();
    worker.held[0]!.answer(done(0));
    await settle();
    expect(worker.held).toHaveLength(1);
    expect(first.closes).toBe(1);
    expect(track.clones[0]!.stopped).toBe(true);
  });

  it('stamps frames with their capture time once presented frames calibrated the clock, and counts them in the budget', async () => {
    const camera = fakeProcessor();
    const worker = heldWorker();
    const pump = new FramePump<number>(
      { send: worker.send, show: () => undefined, fail: () => undefined },
      camera.Processor,
    );
    const video = new Video();
    pump.start(video as unknown as HTMLVideoElement, new Track() as unknown as MediaStreamTrack);
    // The camera's clock runs 5 s ahead of performance.now(); each frame arrives after its capture.
    const AHEAD_MS = 5000;
    // The clock needs 6 frames both read and presented (capture-clock.ts).
    for (let i = 0; i < 6; i++) {
      const captured = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 2));
      camera.deliver(new Frame(i, (captured + AHEAD_MS) * 1000));
      await settle();
      video.present(captured);
      worker.held[i]!.answer(done(i));
      await settle();
      await settle();
    }
    const captured = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    camera.deliver(new Frame(6, (captured + AHEAD_MS) * 1000));
    await settle();
    worker.held[6]!.answer(done(6));
    await settle();
    await settle();
    // The last frame waited 20 ms after its capture before it was read: capture counts it.
    expect(pump.budget.summary().frames).toBe(7);
    const s = pump.budget.summary();
    expect(s.p90).toBeGreaterThanOrEqual(19);
    expect(s.p90).toBeLessThan(200);
  });
});

describe('FramePump without a track processor', () => {
  it('falls back to the video’s frame callbacks', async () => {
    const made: { closes: number }[] = [];
    vi.stubGlobal(
      'VideoFrame',
      class {
        closes = 0;
        constructor() {
          made.push(this);
        }
        close(): void {
          this.closes++;
        }
      },
    );
    const worker = heldWorker();
    const shown: number[] = [];
    const pump = new FramePump<number>(
      { send: worker.send, show: (r) => shown.push(r), fail: () => undefined },
      undefined,
    );
    const video = new Video();
    pump.start(video as unknown as HTMLVideoElement, new Track() as unknown as MediaStreamTrack);
    expect(pump.source).toBe('video');
    for (let i = 0; i < 6; i++) video.present(performance.now());
    // Four went to the worker; the two over the cap were never made into frames.
    expect(made).toHaveLength(4);
    expect(pump.budget.summary().dropped).toBe(2);
    for (const h of worker.held) h.answer(done(h.id));
    await settle();
    await settle();
    expect(shown).toEqual([1, 2, 3, 4]);
    expect(made.map((f) => f.closes)).toEqual([1, 1, 1, 1]);
    pump.stop();
    expect(video.callbacks.size).toBe(0);
  });
});

describe('FramePump with frames read in the worker', () => {
  /** A worker side the test drives: answers come when the test says, in frame order. */
  function workerStream(): {
    open(readable: ReadableStream<VideoFrame>): Promise<PumpStream<number>>;
    answer(a: (StreamFrame & PumpAnswer<number>) | { kind: 'ended' } | Error): void;
    readables: ReadableStream<VideoFrame>[];
    closed: number;
  } {
    const waiting: ((a: (StreamFrame & PumpAnswer<number>) | { kind: 'ended' } | Error) => void)[] = [];
    const queued: ((StreamFrame & PumpAnswer<number>) | { kind: 'ended' } | Error)[] = [];
    const state = {
      readables: [] as ReadableStream<VideoFrame>[],
      closed: 0,
      open: async (readable: ReadableStream<VideoFrame>) => {
        state.readables.push(readable);
        return {
          next: () =>
            new Promise<(StreamFrame & PumpAnswer<number>) | { kind: 'ended' }>((resolve, reject) => {
              const take = (a: (StreamFrame & PumpAnswer<number>) | { kind: 'ended' } | Error) =>
                a instanceof Error ? reject(a) : resolve(a);
              const q = queued.shift();
              if (q) take(q);
              else waiting.push(take);
            }),
          close: () => void state.closed++,
        };
      },
      answer: (a: (StreamFrame & PumpAnswer<number>) | { kind: 'ended' } | Error) => {
        const w = waiting.shift();
        if (w) w(a);
        else queued.push(a);
      },
    };
    return state;
  }

  /** A video element whose playback quality counts the frames the camera delivered. */
  class CountingVideo extends Video {
    delivered = 0;
    getVideoPlaybackQuality(): VideoPlaybackQuality {
      return { totalVideoFrames: this.delivered } as VideoPlaybackQuality;
    }
  }

  const streamed = (frameId: number, newest: number, result = frameId): StreamFrame & PumpAnswer<number> => ({
    ...done(result),
    frameId,
    newest,
    timestamp: frameId * 33_333,
    readAt: performance.timeOrigin + performance.now(),
  });

  it('hands the track’s stream to the worker and draws its answers; the page reads no frame', async () => {
    const camera = fakeProcessor();
    const worker = workerStream();
    const shown: number[] = [];
    const send = vi.fn();
    const pump = new FramePump<number>(
      { send, openStream: worker.open, show: (r) => shown.push(r), fail: () => undefined },
      camera.Processor,
    );
    const video = new CountingVideo();
    const track = new Track();
    pump.start(video as unknown as HTMLVideoElement, track as unknown as MediaStreamTrack);
    await settle();
    expect(pump.source).toBe('worker');
    expect(worker.readables).toHaveLength(1);
    // A clone of the track is read (stopping it leaves the page's video playing).
    expect(camera.tracks).toEqual([track.clones[0]]);
    // The camera delivered 3 frames, the worker read them all: nothing skipped.
    video.delivered = 3;
    worker.answer(streamed(1, 3));
    worker.answer({ ...streamed(2, 3), kind: 'dropped' });
    worker.answer(streamed(3, 3));
    for (let i = 0; i < 4; i++) await settle();
    expect(shown).toEqual([1, 3]);
    expect(pump.sentId).toBe(3);
    expect(pump.shownId).toBe(3);
    // Then 5 more came and the worker read 2 of them (a long run): of the 3 it did not read, one may
    // be on its way, so 2 count as skipped by the stream, and only once.
    video.delivered = 8;
    worker.answer(streamed(4, 5));
    for (let i = 0; i < 4; i++) await settle();
    video.delivered = 8;
    worker.answer(streamed(5, 5));
    for (let i = 0; i < 4; i++) await settle();
    expect(pump.budget.summary().dropped).toBe(1 + 2);
    expect(send).not.toHaveBeenCalled();
    pump.stop();
    expect(worker.closed).toBe(1);
    expect(track.clones[0]!.stopped).toBe(true);
  });

  it('a failed frame stops the pump and reports it; the stream is closed', async () => {
    const camera = fakeProcessor();
    const worker = workerStream();
    const failures: unknown[] = [];
    const pump = new FramePump<number>(
      { send: vi.fn(), openStream: worker.open, show: () => undefined, fail: (e) => failures.push(e) },
      camera.Processor,
    );
    pump.start(new CountingVideo() as unknown as HTMLVideoElement, new Track() as unknown as MediaStreamTrack);
    await settle();
    worker.answer(new Error('engine broke'));
    for (let i = 0; i < 3; i++) await settle();
    expect(failures.map(String)).toEqual(['Error: engine broke']);
    expect(pump.running).toBe(false);
    expect(worker.closed).toBe(1);
  });
});

describe('skippedFrames', () => {
  it('counts what the video got beyond what the worker read, less one on its way, each frame once', () => {
    let delivered = 10;
    const video = { getVideoPlaybackQuality: () => ({ totalVideoFrames: delivered }) as VideoPlaybackQuality };
    const skipped = skippedFrames(video);
    delivered = 12;
    expect(skipped(1)).toBe(0); // 2 delivered, 1 read, 1 on its way
    delivered = 16;
    expect(skipped(3)).toBe(2); // 6 delivered, 3 read
    delivered = 17;
    expect(skipped(5)).toBe(0); // the worker caught up: nothing is taken back
    delivered = 20;
    expect(skipped(6)).toBe(1); // 10 delivered, 6 read: 3 skipped in all, 2 counted before
    expect(skippedFrames({} as Pick<HTMLVideoElement, 'getVideoPlaybackQuality'>)(5)).toBe(0);
  });
});
