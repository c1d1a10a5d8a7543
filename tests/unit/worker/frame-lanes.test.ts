/**
 * A model pipelined over several TPUs takes one camera frame per TPU at once (frame-slot.ts lanes):
 * segment 0 starts the next frame while the later segments finish the one before. Still one waits,
 * the newest winning, so nothing piles up.
 */
import { describe, expect, it } from 'vitest';
import { afterQueuedMessages, FrameSlots, LatestFrameSlot, type FrameOutcome } from '../../../src/worker/frame-slot.ts';
import { Frame, heldEngine, until } from './held-frames.ts';

describe('frame lanes', () => {
  it('runs two frames at once on two lanes, one waits (newest wins), a finished lane takes it', async () => {
    const engine = heldEngine();
    const slot = new LatestFrameSlot(engine.run, afterQueuedMessages, 2);
    const frames = Array.from({ length: 5 }, (_, i) => new Frame(i));
    const outcomes: Promise<FrameOutcome<number>>[] = [slot.submit(frames[0]!)];
    await until(() => engine.ran.length === 1);
    outcomes.push(slot.submit(frames[1]!));
    await until(() => engine.ran.length === 2);
    // Both lanes busy: 2 and 3 wait in turn (3 replaces 2), then 4 replaces 3.
    for (const f of frames.slice(2)) outcomes.push(slot.submit(f));
    await afterQueuedMessages();
    expect(engine.ran).toEqual([0, 1]);
    await engine.finish(0);
    await until(() => engine.ran.length === 3);
    expect(engine.ran).toEqual([0, 1, 4]);
    await engine.finish(1);
    await engine.finish(4);
    const results = await Promise.all(outcomes);
    expect(results.map((r) => (r.kind === 'done' ? r.result : 'dropped'))).toEqual([0, 10, 'dropped', 'dropped', 40]);
    expect(frames.map((f) => f.closed)).toEqual([false, false, true, true, false]);
  });

  it('gives each model its lanes: a one-lane model still runs one frame at a time', async () => {
    const engine = heldEngine();
    const slots = new FrameSlots<Frame, undefined, number>(
      (_, frame) => engine.run(frame),
      (id) => (id === 'pipeline' ? 2 : 1),
    );
    const single = [slots.submit('single', new Frame(1), undefined, () => undefined)];
    await until(() => engine.ran.length === 1);
    single.push(slots.submit('single', new Frame(2), undefined, () => undefined));
    const piped = [slots.submit('pipeline', new Frame(3), undefined, () => undefined)];
    await until(() => engine.ran.length === 2);
    piped.push(slots.submit('pipeline', new Frame(4), undefined, () => undefined));
    await until(() => engine.ran.length === 3);
    expect(engine.ran).toEqual([1, 3, 4]);
    for (const id of [1, 3, 4]) await engine.finish(id);
    await until(() => engine.ran.length === 4);
    await engine.finish(2);
    expect((await Promise.all([...single, ...piped])).map((r) => r.kind)).toEqual(['done', 'done', 'done', 'done']);
  });
});
