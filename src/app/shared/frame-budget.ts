/**
 * Where a camera frame's time goes, from capture to the overlay drawn, over the last frames:
 * frames per second, end-to-end p50 and p90, and the median of each part. The parts are measured
 * one after another on the same frame, so together they make its end-to-end time. The wait from
 * the overlay drawn to the display's next refresh (up to a refresh interval, whatever the pipeline
 * does) is reported beside it, not in it.
 */

/** In frame order: capture → page hands it over → worker → back → drawn. */
export const BUDGET_PARTS = ['capture', 'transfer', 'wait', 'preprocess', 'inference', 'postprocess', 'draw'] as const;
export type BudgetPart = (typeof BUDGET_PARTS)[number];

export const PART_WORDS: Record<BudgetPart, string> = {
  capture: 'capture',
  transfer: 'transfer',
  wait: 'wait',
  preprocess: 'preprocess',
  inference: 'inference',
  postprocess: 'post-process',
  draw: 'draw',
};

/** What the parts mean, for a tooltip. */
export const PART_HINTS: Record<BudgetPart, string> = {
  capture: 'from the camera capturing the frame to Reef reading it (in the worker, or on the page that hands it over)',
  transfer: 'the result back to the page, and the frame to the worker where the page sends it (messages, no copies)',
  wait: 'for the engine to finish the frame before it (at most one frame waits; a newer one replaces it)',
  preprocess: 'pixels out of the frame, resize and value mapping in the worker',
  inference: 'the engine’s own run',
  postprocess: 'outputs to labels, boxes, mask or pose',
  draw: 'result back on the page until the overlay is drawn (it is on screen at the display’s next refresh)',
};

/** One frame's stamps: page times and the worker's, all absolute ms (timeOrigin + now()). */
export interface FrameStamps {
  capturedAt: number;
  sentAt: number;
  receivedAt: number;
  /** The worker's previous run ended (its thread may have held this frame's message until then). */
  engineFreeAt: number;
  startedAt: number;
  finishedAt: number;
  answeredAt: number;
  /** The page's overlay update was done. */
  drawnAt: number;
  /** The next animation frame after it: the browser paints the overlay then. */
  paintedAt: number;
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

/** `total`: capture to overlay drawn; `paint`: from drawn to the next animation frame, not in `total`. */
export type FrameParts = Record<BudgetPart, number> & { total: number; paint: number };

/**
 * The parts of one frame. The worker's run is split by its own measured steps; what it spent
 * around them (engine guard, result assembly) counts as post-process, so the parts add up.
 */
export function frameParts(s: FrameStamps): FrameParts {
  const worker = Math.max(0, s.finishedAt - s.startedAt);
  const inside = s.preprocessMs + s.inferenceMs + s.postprocessMs;
  // A frame posted during a run that held the worker's thread could not be read before it ended:
  // until then it waited for the engine; only the rest of the way is transfer.
  const readable = Math.min(s.receivedAt, Math.max(s.sentAt, s.engineFreeAt));
  return {
    capture: Math.max(0, s.sentAt - s.capturedAt),
    transfer: Math.max(0, s.receivedAt - readable) + Math.max(0, s.answeredAt - s.finishedAt),
    wait: Math.max(0, readable - s.sentAt) + Math.max(0, s.startedAt - s.receivedAt),
    preprocess: s.preprocessMs,
    inference: s.inferenceMs,
    postprocess: s.postprocessMs + Math.max(0, worker - inside),
    draw: Math.max(0, s.drawnAt - s.answeredAt),
    total: Math.max(0, s.drawnAt - s.capturedAt),
    paint: Math.max(0, s.paintedAt - s.drawnAt),
  };
}

export interface BudgetSummary {
  /** Results drawn per second over the window. */
  fps: number;
  p50: number;
  p90: number;
  /** Median of each part over the window. */
  parts: Record<BudgetPart, number>;
  /** Median wait from the overlay drawn to the display's next refresh (not in p50/p90). */
  paint: number;
  /** End-to-end p50 to that refresh: capture to the overlay on screen. */
  p50ToPaint: number;
  /** Frames in the window. */
  frames: number;
  /** Frames not run since the start: replaced by a newer one while waiting, or skipped while the engine was full. */
  dropped: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export class FrameBudget {
  readonly #window: number;
  #frames: (FrameParts & { drawnAt: number })[] = [];
  #dropped = 0;

  /** `window`: how many recent frames the figures are over. */
  constructor(window = 30) {
    this.#window = window;
  }

  add(stamps: FrameStamps): void {
    this.#frames.push({ ...frameParts(stamps), drawnAt: stamps.drawnAt });
    if (this.#frames.length > this.#window) this.#frames.shift();
  }

  drop(count = 1): void {
    this.#dropped += count;
  }

  reset(): void {
    this.#frames = [];
    this.#dropped = 0;
  }

  summary(): BudgetSummary {
    const frames = this.#frames;
    const totals = frames.map((f) => f.total).sort((a, b) => a - b);
    const median = (values: number[]): number =>
      quantile(
        values.sort((a, b) => a - b),
        0.5,
      );
    const parts = Object.fromEntries(BUDGET_PARTS.map((p) => [p, median(frames.map((f) => f[p]))])) as Record<
      BudgetPart,
      number
    >;
    const span = frames.length > 1 ? frames[frames.length - 1]!.drawnAt - frames[0]!.drawnAt : 0;
    return {
      fps: span > 0 ? ((frames.length - 1) * 1000) / span : 0,
      p50: quantile(totals, 0.5),
      p90: quantile(totals, 0.9),
      parts,
      paint: median(frames.map((f) => f.paint)),
      p50ToPaint: median(frames.map((f) => f.total + f.paint)),
      frames: frames.length,
      dropped: this.#dropped,
    };
  }
}
