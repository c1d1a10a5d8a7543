/** Camera frames in the worker: one runs, one waits, the newest wins, nothing piles up. */
import { describe, expect, it } from 'vitest';
import { FrameSlots, LatestFrameSlot, type FrameOutcome } from '../../../src/worker/frame-slot.ts';
import { Frame, heldEngine, until } from './held-frames.ts';

describe('LatestFrameSlot', () => {
  it('runs the first frame, keeps only the newest of those that come meanwhile, and closes the rest', async () => {
    const engine = heldEngine();
    const slot = new LatestFrameSlot(engine.run);
    const frames = Array.from({ length: 6 }, (_, i) => new Frame(i));
    const outcomes: Promise<FrameOutcome<number>>[] = [slot.submit(frames[0]!)];
    await until(() => engine.ran.length === 1);
    // Frames 1–5 arrive while frame 0 runs: 1–4 are replaced in turn, 5 waits.
    for (const f of frames.slice(1)) outcomes.push(slot.submit(f));
    await engine.finishNext();
    await engine.finishNext();
    const results = await Promise.all(outcomes);
    expect(engine.ran).toEqual([0, 5]);
    expect(results.map((r) => r.kind)).toEqual(['done', 'dropped', 'dropped', 'dropped', 'dropped', 'done']);
    expect(results[5]).toMatchObject({ kind: 'done', result: 50 });
    // Dropped frames are closed here (they hold decoder memory); run frames belong to the engine.
    expect(frames.map((f) => f.closed)).toEqual([false, true, true, true, true, false]);
    const times = (results[5] as Extract<FrameOutcome<number>, { kind: 'done' }>).times;
    expect(times.receivedAt).toBeLessThanOrEqual(times.startedAt);
    expect(times.startedAt).toBeLessThanOrEqual(times.finishedAt);
  });

  it('picks the newest of frames posted together before the engine starts', async () => {
    const engine = heldEngine();
    const slot = new LatestFrameSlot(engine.run);
    const outcomes = [1, 2, 3].map((id) => slot.submit(new Frame(id)));
    await engine.finishNext();
    expect((await Promise.all(outcomes)).map((o) => o.kind)).toEqual(['dropped', 'dropped', 'done']);
    expect(engine.ran).toEqual([3]);
  });

  it('a failed run rejects that frame only; the waiting one still runs', async () => {
    let calls = 0;
    const slot = new LatestFrameSlot(async (frame: Frame) => {
      calls++;
      if (frame.id === 1) throw new Error('engine failed');
      return frame.id;
    });
    const first = slot.submit(new Frame(1));
    await expect(first).rejects.toThrow('engine failed');
    await expect(slot.submit(new Frame(2))).resolves.toMatchObject({ kind: 'done', result: 2 });
    expect(calls).toBe(2);
  });
});

describe('FrameSlots', () => {
  it('keeps one slot per model and answers a waiting frame dropped when its model goes', async () => {
    const engine = heldEngine();
    const slots = new FrameSlots((_id: string, image: Frame) => engine.run(image));
    const a = slots.submit('m1', new Frame(1), undefined, () => undefined);
    await until(() => engine.ran.length === 1);
    // Another model's frame does not replace m1's.
    const b = slots.submit('m2', new Frame(2), undefined, () => undefined);
    await until(() => engine.ran.length === 2);
    const waiting = new Frame(3);
    const c = slots.submit('m1', waiting, undefined, () => waiting.close());
    slots.forget('m1');
    await expect(c).resolves.toEqual({ kind: 'dropped' });
    expect(waiting.closed).toBe(true);
    await engine.finishNext();
    await engine.finishNext();
    expect((await a).kind).toBe('done');
    expect((await b).kind).toBe('done');
    expect(engine.ran).toEqual([1, 2]);
  });
});
