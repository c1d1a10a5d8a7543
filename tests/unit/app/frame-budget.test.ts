/** The Live page's frame budget: each frame's parts add up to its end-to-end time; medians over a window. */
import { describe, expect, it } from 'vitest';
import { BUDGET_PARTS, FrameBudget, frameParts, type FrameStamps } from '../../../src/app/shared/frame-budget.ts';

/**
 * A frame captured at `t`: 2 ms to hand over, 1 ms there, `wait` behind another, its run, 1 ms
 * back, 4 ms to draw, then `paint` ms to the next animation frame.
 */
function frame(t: number, inference: number, wait = 0, blocked = 0, paint = 9): FrameStamps {
  const sentAt = t + 2;
  // `blocked`: a run held the worker's thread that long after the frame was posted.
  const engineFreeAt = blocked > 0 ? sentAt + blocked : t - 100;
  const receivedAt = Math.max(sentAt, engineFreeAt) + 1;
  const startedAt = receivedAt + wait;
  const finishedAt = startedAt + 3 + inference + 1 + 0.5; // 0.5 ms unaccounted in the worker
  const answeredAt = finishedAt + 1;
  return {
    capturedAt: t,
    sentAt,
    receivedAt,
    engineFreeAt,
    startedAt,
    finishedAt,
    answeredAt,
    drawnAt: answeredAt + 4,
    paintedAt: answeredAt + 4 + paint,
    preprocessMs: 3,
    inferenceMs: inference,
    postprocessMs: 1,
  };
}

describe('frame budget', () => {
  it('splits one frame into parts that add up to its end-to-end time', () => {
    const parts = frameParts(frame(1000, 20, 7));
    expect(parts).toEqual({
      capture: 2,
      transfer: 2,
      wait: 7,
      preprocess: 3,
      inference: 20,
      postprocess: 1.5,
      draw: 4,
      total: 39.5,
      paint: 9,
    });
    expect(BUDGET_PARTS.reduce((a, p) => a + parts[p], 0)).toBeCloseTo(parts.total, 9);
  });

  it('counts the time a message sat unread behind a run holding the worker as waiting, not transfer', () => {
    const parts = frameParts(frame(1000, 20, 0.2, 12));
    expect(parts.transfer).toBe(2);
    expect(parts.wait).toBeCloseTo(12.2, 9);
    expect(BUDGET_PARTS.reduce((a, p) => a + parts[p], 0)).toBeCloseTo(parts.total, 9);
  });

  it('gives FPS, p50, p90 and per-part medians over the last frames only, and counts drops', () => {
    const budget = new FrameBudget(10);
    // 20 frames 50 ms apart; the first 10 slow (100 ms runs), the last 10 fast (10 ms runs).
    for (let i = 0; i < 20; i++) budget.add(frame(i * 50, i < 10 ? 100 : 10));
    budget.drop(3);
    budget.drop();
    const s = budget.summary();
    expect(s.frames).toBe(10);
    expect(s.fps).toBeCloseTo(20, 9);
    expect(s.parts.inference).toBe(10);
    expect(s.p50).toBeCloseTo(frameParts(frame(0, 10)).total, 9);
    expect(s.dropped).toBe(4);
    budget.reset();
    expect(budget.summary()).toMatchObject({ frames: 0, fps: 0, p50: 0, dropped: 0 });
  });

  it('keeps the wait for the display refresh out of end to end and reports it beside it', () => {
    const budget = new FrameBudget(10);
    // The same pipeline, drawn at different points of the display's 16.7 ms refresh.
    for (let i = 0; i < 10; i++) budget.add(frame(i * 50, 10, 0, 0, i + 1));
    const s = budget.summary();
    const pipeline = frameParts(frame(0, 10)).total;
    expect(s.p50).toBeCloseTo(pipeline, 9);
    expect(s.p90).toBeCloseTo(pipeline, 9);
    expect(s.paint).toBe(6);
    expect(s.p50ToPaint).toBeCloseTo(pipeline + 6, 9);
    // The parts still make up end to end: the paint wait is in none of them.
    const parts = frameParts(frame(0, 10, 3, 0, 16));
    expect(parts.total).toBeCloseTo(
      BUDGET_PARTS.reduce((a, p) => a + parts[p], 0),
      9,
    );
    expect(parts.total).toBeCloseTo(frameParts(frame(0, 10, 3, 0, 1)).total, 9);
  });

  it('p90 follows the slow tail', () => {
    const budget = new FrameBudget(10);
    for (let i = 0; i < 10; i++) budget.add(frame(i * 50, i === 9 || i === 8 ? 200 : 10));
    const s = budget.summary();
    expect(s.p90).toBeCloseTo(frameParts(frame(0, 200)).total, 9);
    expect(s.p50).toBeCloseTo(frameParts(frame(0, 10)).total, 9);
  });
});
