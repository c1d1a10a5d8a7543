/**
 * How many threads LiteRT's CPU kernels get for one model, chosen by measurement when it loads.
 *
 * Threads are not free: after each run LiteRT's pool threads spin before they sleep, and on a
 * 2-core machine they then hold a core that the page and the worker need to pass the call and its
 * result. Measured in Chromium on 2 cores (npm run bench -- wasm-engine), an empty call sent right
 * after a run of MobileNet v1 0.25/128 took 0.35 ms with 2 threads and 0.055 ms with 1, so 2 threads
 * lost there although their run alone was faster (0.91 vs 1.14 ms); MobileNet 224 and DeepLab run
 * 1.6–1.7× faster with 2. The worker cannot time the page's side of that hop, so each run with more
 * than one thread is charged `extraCostMs` (that measured difference) when the counts are compared.
 *
 * The candidates run in turn on the same input (drift and background load hit them alike): one
 * untimed warm-up each, whose outputs must be identical (threads split work, not arithmetic; were
 * they ever different, the model keeps the default count), then timed runs until each has `runs`
 * or the timed runs together spent `budgetMs` (at least one each).
 */
import type { TensorArray } from './engine.ts';

export interface ThreadTiming {
  threads: number;
  /** Median of the timed runs, in ms. */
  medianMs: number;
  runs: number;
}

export interface ThreadChoice {
  /** The count the model runs with. */
  threads: number;
  /** Each candidate's figures, in the order they were given. */
  timings: ThreadTiming[];
  /** Whether every candidate's warm-up outputs were identical (if not, the default count is kept). */
  sameOutputs: boolean;
  /** What each run with more than one thread was charged for the hop it slows (see above), in ms. */
  extraCostMs: number;
  /** Wall time of the whole measurement (warm-ups included), in ms. */
  ms: number;
}

export interface ThreadCandidate {
  threads: number;
  /** One run on the fixed input; its output arrays. */
  run(): Promise<readonly TensorArray[]>;
}

export interface ThreadChoiceOptions {
  /** Most timed runs per candidate. */
  runs: number;
  /** The timed runs' total time cap (all candidates together). */
  budgetMs: number;
  /** The count kept when outputs differ (the runtime's default). */
  fallback: number;
  /** Charged to each run with more than one thread (see the module comment); default 0. */
  extraCostMs?: number;
  now?: () => number;
}

export const DEFAULT_THREAD_CHOICE = { runs: 5, budgetMs: 60, extraCostMs: 0.3 } as const;

/**
 * The fastest median, runs with more than one thread charged `extraCostMs`; on a tie the candidate
 * given first (callers put the fewest threads first).
 */
export function fastestTiming(timings: readonly ThreadTiming[], extraCostMs = 0): ThreadTiming {
  const cost = (t: ThreadTiming) => t.medianMs + (t.threads > 1 ? extraCostMs : 0);
  let best = timings[0];
  if (!best) throw new Error('thread choice: no candidates');
  for (const t of timings) if (cost(t) < cost(best)) best = t;
  return best;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sameArrays(a: readonly TensorArray[], b: readonly TensorArray[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    if (x.byteLength !== y.byteLength || x.constructor !== y.constructor) return false;
    const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    for (let k = 0; k < bx.length; k++) if (bx[k] !== by[k]) return false;
    return true;
  });
}

/** Times the candidates (see the module comment) and names the count to keep. */
export async function chooseThreads(
  candidates: readonly ThreadCandidate[],
  options: ThreadChoiceOptions,
): Promise<ThreadChoice> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let reference: readonly TensorArray[] | undefined;
  let sameOutputs = true;
  for (const c of candidates) {
    const outputs = await c.run();
    if (!reference) reference = outputs;
    else if (!sameArrays(reference, outputs)) sameOutputs = false;
  }
  const times: number[][] = candidates.map(() => []);
  let spent = 0;
  for (let round = 0; round < options.runs && (round === 0 || spent < options.budgetMs); round++) {
    for (const [i, c] of candidates.entries()) {
      const t = now();
      await c.run();
      const ms = now() - t;
      times[i]!.push(ms);
      spent += ms;
    }
  }
  const timings = candidates.map((c, i) => ({
    threads: c.threads,
    medianMs: median(times[i]!),
    runs: times[i]!.length,
  }));
  const extraCostMs = options.extraCostMs ?? 0;
  const threads = sameOutputs ? fastestTiming(timings, extraCostMs).threads : options.fallback;
  return { threads, timings, sameOutputs, extraCostMs, ms: now() - started };
}
