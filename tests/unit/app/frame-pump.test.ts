/**
 * The page's frame pump: camera frames read from the track as delivered (MediaStreamTrackProcessor)
 * go to the worker, each closed exactly once; results are shown newest first and in frame order; without a
 * track processor the video's frame callbacks take over.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FramePump, type PumpAnswer, type TrackProcessorConstructor } from '../../../src/app/shared/frame-pump.ts';

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
