/** Camera frames read in the worker: the stream straight into the frame slot, answers in frame order. */
import { describe, expect, it } from 'vitest';
import { FrameStream, type StreamAnswer, type StreamEnded } from '../../../src/worker/frame-stream.ts';
import { LatestFrameSlot } from '../../../src/worker/frame-slot.ts';

/** A stand-in camera frame: counts its closes. */
class FakeFrame {
  closes = 0;
  readonly displayWidth = 640;
  readonly displayHeight = 480;
  readonly timestamp: number;
  constructor(timestamp: number) {
    this.timestamp = timestamp;
  }
  close(): void {
    this.closes++;
  }
}

/** A stream the test pushes frames into, as a MediaStreamTrackProcessor's readable. */
function camera(): { readable: ReadableStream<VideoFrame>; push(f: FakeFrame): void; end(): void } {
  let controller!: ReadableStreamDefaultController<VideoFrame>;
  const readable = new ReadableStream<VideoFrame>({ start: (c) => void (controller = c) });
  return {
    readable,
    push: (f) => controller.enqueue(f as unknown as VideoFrame),
    end: () => controller.close(),
  };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Answer = StreamAnswer<string> | StreamEnded;

describe('FrameStream', () => {
  it('runs nothing before a target, then every frame in order through the slot, each closed once', async () => {
    const cam = camera();
    // The engine: a run takes 10 ms; the slot lets the newest waiting frame win.
    const slot = new LatestFrameSlot<{ frame: FakeFrame; close(): void }, string>(async (job) => {
      job.close(); // as the worker does once the pixels are in the input
      await tick(10);
      return `ran ${job.frame.timestamp}`;
    }, tick);
    const stream = new FrameStream<string, 'classify', object>(cam.readable, (_target, frame, close) =>
      slot.submit({ frame: frame as unknown as FakeFrame, close }),
    );
    const frames = Array.from({ length: 12 }, (_, i) => new FakeFrame(1_000_000 + i * 33_333));
    // The page pulls answers as they come.
    const answers: Answer[] = [];
    const collecting = (async () => {
      for (;;) {
        const a = await stream.next();
        answers.push(a);
        if (a.kind === 'ended') return;
      }
    })();
    cam.push(frames[0]!);
    await tick(2);
    stream.setTarget({ key: 1, id: 'm', task: 'classify', options: {} });
    // Frames 1–3 come together (the engine takes 1, then the newest of the rest); then 6 and 7 (4
    // and 5 were skipped by the camera stream), each after the last finished.
    cam.push(frames[1]!);
    await tick(4);
    cam.push(frames[2]!);
    cam.push(frames[3]!);
    await tick(60);
    cam.push(frames[6]!);
    await tick(40);
    cam.push(frames[7]!);
    await tick(40);
    cam.end();
    await collecting;
    expect(answers.map((a) => (a.kind === 'ended' ? 'ended' : `${a.frameId}:${a.kind}`))).toEqual([
      '1:done',
      '2:dropped',
      '3:done',
      '4:done',
      '5:done',
      'ended',
    ]);
    const done = answers.filter((a): a is Extract<Answer, { kind: 'done' }> => a.kind === 'done');
    expect(done.map((a) => a.result)).toEqual([1_033_333, 1_099_999, 1_199_998, 1_233_331].map((t) => `ran ${t}`));
    // Frame 0 came before the target: closed unread. Every frame was closed exactly once.
    for (const f of [0, 1, 2, 3, 6, 7]) expect(frames[f]!.closes, `frame ${f}`).toBe(1);
    // Each answer says how many frames were read when it left: how far the camera is ahead of it.
    expect(answers.map((a) => (a.kind === 'ended' ? -1 : a.newest))).toEqual([3, 3, 3, 4, 5, -1]);
    expect(done.every((a) => a.key === 1 && a.width === 640 && a.height === 480)).toBe(true);
  });

  it('answers a failed run as failed, with the key it ran on, and takes a new target from the next frame', async () => {
    const cam = camera();
    const stream = new FrameStream<string, 'classify', object>(cam.readable, async (target, frame, close) => {
      close();
      if (target.id === 'tpu') throw new Error('device-gone');
      return {
        kind: 'done',
        result: `${target.id} ${frame.timestamp}`,
        times: { receivedAt: 0, engineFreeAt: 0, startedAt: 0, finishedAt: 0 },
      };
    });
    stream.setTarget({ key: 1, id: 'tpu', task: 'classify', options: {} });
    const f1 = new FakeFrame(1);
    cam.push(f1);
    const first = await stream.next();
    expect(first.kind === 'failed' && first.key === 1 && String(first.error)).toBe('Error: device-gone');
    expect(f1.closes).toBe(1);
    stream.setTarget({ key: 2, id: 'wasm', task: 'classify', options: {} });
    cam.push(new FakeFrame(2));
    const second = await stream.next();
    expect(second.kind === 'done' && second.key === 2 && second.result).toBe('wasm 2');
    // Closing ends it: a pending pull is told so, and frames after it are closed unread.
    const pending = stream.next();
    stream.close();
    expect((await pending).kind).toBe('ended');
  });
});
