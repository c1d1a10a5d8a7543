/**
 * The page's frame pump: the camera track's frame stream (MediaStreamTrackProcessor) goes to the
 * worker, whose answers are drawn in frame order with their capture times and skipped frames
 * counted; without a track processor the video's frame callbacks take over, each frame closed once.
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

/** A MediaStreamTrackProcessor that records the tracks it was made for; its stream goes to the worker unread. */
function fakeProcessor(): { Processor: TrackProcessorConstructor; tracks: Track[] } {
  const tracks: Track[] = [];
  class Processor {
    readonly readable = new ReadableStream<VideoFrame>();
    constructor(init: { track: MediaStreamTrack }) {
      tracks.push(init.track as unknown as Track);
    }
  }
  return { Processor: Processor as unknown as TrackProcessorConstructor, tracks };
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
  held: { id: number; answer(a: PumpAnswer<number>): void }[];
} {
  const held: { id: number; answer(a: PumpAnswer<number>): void }[] = [];
  return {
    held,
    send: (frame, id) =>
      new Promise((resolve) => {
        held.push({
          id,
          answer: (a) => {
            frame.close();
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
});
afterEach(() => vi.unstubAllGlobals());

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
      {
        send: worker.send,
        openStream: () => Promise.reject(new Error('no track reader')),
        show: (r) => shown.push(r),
        fail: () => undefined,
      },
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

  it('stamps frames with their capture time once presented frames calibrated the clock, and counts them in the budget', async () => {
    const camera = fakeProcessor();
    const worker = workerStream();
    const pump = new FramePump<number>(
      { send: vi.fn(), openStream: worker.open, show: () => undefined, fail: () => undefined },
      camera.Processor,
    );
    const video = new CountingVideo();
    pump.start(video as unknown as HTMLVideoElement, new Track() as unknown as MediaStreamTrack);
    await settle();
    // The camera's clock runs 5 s ahead of performance.now(). Each frame is read in the worker 2 ms
    // after its capture and presented by the video; its answer reaches the page after that.
    const AHEAD_MS = 5000;
    const answer = (id: number, captured: number, readAfter: number) => {
      video.delivered = id;
      worker.answer({
        ...done(id),
        frameId: id,
        newest: id,
        timestamp: (captured + AHEAD_MS) * 1000,
        readAt: performance.timeOrigin + captured + readAfter,
      });
    };
    // The clock needs 6 frames both read and presented (capture-clock.ts).
    for (let i = 1; i <= 6; i++) {
      const captured = performance.now();
      video.present(captured);
      answer(i, captured, 2);
      for (let k = 0; k < 3; k++) await settle();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    // The last frame was read 20 ms after its capture: capture counts it, from the frame's own stamp.
    const captured = performance.now() - 25;
    answer(7, captured, 20);
    for (let k = 0; k < 3; k++) await settle();
    expect(pump.budget.summary().frames).toBe(7);
    const s = pump.budget.summary();
    expect(s.p90).toBeGreaterThanOrEqual(19);
    expect(s.p90).toBeLessThan(200);
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
