/**
 * The per-model thread choice: with fake timings the faster count wins and the figures are the
 * medians of what was timed; outputs that differ keep the default count. In Node, with a loader that
 * claims 2 threads over the single-threaded build, the WASM engine measures both counts on a real
 * fixture, reports the choice in the model's runtime info and gives the same outputs either way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import {
  chooseThreads,
  fastestTiming,
  modelRuntime,
  WasmEngine,
  type LoadedModel,
  type TensorArray,
} from '../../../src/lib/runtime/index.ts';
import type { LiteRtLoader } from '../../../src/lib/runtime/litert-runtime.ts';
import { readFixture } from '../../support/fixtures.ts';
import { softmaxModel } from './hostile-models.ts';

/** Candidates whose runs advance a fake clock by the given times, one per run in turn. */
function fakeCandidates(plan: { threads: number; ms: number[]; output?: TensorArray }[]): {
  clock: () => number;
  candidates: Parameters<typeof chooseThreads>[0];
  calls: number[];
} {
  let t = 0;
  const calls: number[] = [];
  const candidates = plan.map((p) => {
    let k = 0;
    return {
      threads: p.threads,
      run: async () => {
        calls.push(p.threads);
        t += p.ms[Math.min(k, p.ms.length - 1)]!;
        k++;
        return [p.output ?? new Uint8Array([1, 2, 3])];
      },
    };
  });
  return { clock: () => t, candidates, calls };
}

describe('chooseThreads', () => {
  it('keeps the count with the faster median, and reports each median', async () => {
    // Warm-ups first (slow, not timed), then 1 thread at 1.1 ms against 2 threads at 1.3 ms.
    const { clock, candidates, calls } = fakeCandidates([
      { threads: 1, ms: [9, 1.1, 1.0, 1.2, 1.1, 1.1] },
      { threads: 2, ms: [9, 1.3, 1.4, 0.2, 1.3, 1.3] },
    ]);
    const choice = await chooseThreads(candidates, { runs: 5, budgetMs: 1000, fallback: 2, now: clock });
    expect(choice.threads).toBe(1);
    expect(choice.sameOutputs).toBe(true);
    expect(choice.timings).toEqual([
      { threads: 1, medianMs: expect.closeTo(1.1, 9) as number, runs: 5 },
      { threads: 2, medianMs: expect.closeTo(1.3, 9) as number, runs: 5 },
    ]);
    // Warm-ups, then the candidates in turn: drift hits both alike.
    expect(calls).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    expect(choice.ms).toBeCloseTo(18 + 5.5 + 5.5, 9);
  });

  it('keeps more threads when they are faster (a big model)', async () => {
    const { clock, candidates } = fakeCandidates([
      { threads: 1, ms: [60, 55] },
      { threads: 2, ms: [40, 32] },
    ]);
    const choice = await chooseThreads(candidates, { runs: 5, budgetMs: 100, fallback: 2, now: clock });
    expect(choice.threads).toBe(2);
    // 87 ms per round: the budget stops it after two rounds.
    expect(choice.timings.map((t) => t.runs)).toEqual([2, 2]);
    expect(choice.timings[1]!.medianMs).toBe(32);
  });

  it('times one round even when a single run is over the budget', async () => {
    const { clock, candidates } = fakeCandidates([
      { threads: 1, ms: [500] },
      { threads: 2, ms: [300] },
    ]);
    const choice = await chooseThreads(candidates, { runs: 5, budgetMs: 100, fallback: 2, now: clock });
    expect(choice.timings.map((t) => t.runs)).toEqual([1, 1]);
    expect(choice.threads).toBe(2);
  });

  it('charges each threaded run the hop it slows: 2 threads must win by more than that', async () => {
    const plan = [
      { threads: 1, ms: [5, 1.14] },
      { threads: 2, ms: [5, 0.91] },
    ];
    const charged = fakeCandidates(plan);
    const choice = await chooseThreads(charged.candidates, {
      runs: 3,
      budgetMs: 100,
      fallback: 2,
      extraCostMs: 0.3,
      now: charged.clock,
    });
    expect(choice.threads).toBe(1);
    expect(choice.extraCostMs).toBe(0.3);
    // The figures stay what was timed.
    expect(choice.timings.map((t) => t.medianMs)).toEqual([expect.closeTo(1.14, 9), expect.closeTo(0.91, 9)]);
    const free = fakeCandidates(plan);
    expect(
      (await chooseThreads(free.candidates, { runs: 3, budgetMs: 100, fallback: 2, now: free.clock })).threads,
    ).toBe(2);
    // A big model: 2 threads save far more than the charge.
    const big = fakeCandidates([
      { threads: 1, ms: [40, 30] },
      { threads: 2, ms: [30, 18] },
    ]);
    const bigChoice = await chooseThreads(big.candidates, {
      runs: 3,
      budgetMs: 100,
      fallback: 2,
      extraCostMs: 0.3,
      now: big.clock,
    });
    expect(bigChoice.threads).toBe(2);
  });

  it('keeps the default count when the outputs differ, however fast the other is', async () => {
    const { clock, candidates } = fakeCandidates([
      { threads: 1, ms: [1], output: new Uint8Array([1, 2, 3]) },
      { threads: 2, ms: [5], output: new Uint8Array([1, 2, 4]) },
    ]);
    const choice = await chooseThreads(candidates, { runs: 3, budgetMs: 100, fallback: 2, now: clock });
    expect(choice.sameOutputs).toBe(false);
    expect(choice.threads).toBe(2);
  });

  it('a tie goes to the candidate given first', () => {
    expect(
      fastestTiming([
        { threads: 1, medianMs: 2, runs: 3 },
        { threads: 4, medianMs: 2, runs: 3 },
      ]).threads,
    ).toBe(1);
  });
});

describe('WasmEngine thread choice on a real model', () => {
  // The single-threaded build with a claim of 2 threads: LiteRT runs both compilations (its
  // XNNPACK has no pool to use), so the choice's mechanics and outputs are checked for real.
  const twoThreads: LiteRtLoader = {
    async load(hooks) {
      return { ...(await nodeLiteRtLoader.load(hooks)), threads: 2 };
    },
  };
  // Node's cold first runs are slower than Chromium's: every model counts as small here.
  const engine = new WasmEngine(twoThreads, { threadChoice: { runs: 3, budgetMs: 50, firstRunLimitMs: 60_000 } });
  const fixed = new WasmEngine(twoThreads, { threadChoice: false });
  afterAll(() => {
    engine.dispose();
    fixed.dispose();
  });

  async function outputsOf(model: LoadedModel): Promise<TensorArray[]> {
    const n = model.inputs[0]!.shape.reduce((a, b) => a * b, 1);
    const input = new Uint8Array(n).map((_, i) => (i * 7) % 251);
    return (await model.run([input])).outputs.map((o) => o.data);
  }

  it('measures 1 and 2 threads, says which it kept, and runs the same as a model compiled with either', async () => {
    const bytes = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    const chosen = await engine.load(bytes);
    const runtime = modelRuntime(chosen)!;
    expect(runtime.threadChoice?.timings.map((t) => t.threads)).toEqual([1, 2]);
    expect(runtime.threadChoice?.sameOutputs).toBe(true);
    for (const t of runtime.threadChoice!.timings) {
      expect(t.runs).toBeGreaterThanOrEqual(1);
      expect(t.medianMs).toBeGreaterThan(0);
    }
    expect([1, 2]).toContain(runtime.threads);
    expect(runtime.threads).toBe(
      fastestTiming(runtime.threadChoice!.timings, runtime.threadChoice!.extraCostMs).threads,
    );
    const one = await fixed.load(bytes, { threads: 1 });
    const two = await fixed.load(bytes, { threads: 2 });
    expect(modelRuntime(one)).toMatchObject({ threads: 1 });
    expect(modelRuntime(two)).toMatchObject({ threads: 2 });
    expect(modelRuntime(two)?.threadChoice).toBeUndefined();
    const reference = await outputsOf(one);
    expect(reference[0]!.length).toBe(1001);
    expect(await outputsOf(two)).toEqual(reference);
    expect(await outputsOf(chosen)).toEqual(reference);
    for (const m of [chosen, one, two]) m.dispose();
  });

  it('keeps all threads for a model whose first run is over the limit, with no second compile', async () => {
    const bigOnly = new WasmEngine(twoThreads, { threadChoice: { runs: 3, budgetMs: 50, firstRunLimitMs: 0 } });
    const model = await bigOnly.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    expect(modelRuntime(model)).toMatchObject({ threads: 2 });
    expect(modelRuntime(model)?.threadChoice).toBeUndefined();
    expect((await outputsOf(model))[0]!.length).toBe(1001);
    model.dispose();
  });

  it('a model that fails when it runs still loads, and its run reports the typed failure', async () => {
    // int8 SOFTMAX with output zero point 0: LiteRT refuses it at its first run, not at compile.
    const model = await engine.load(softmaxModel(0));
    expect(modelRuntime(model)).toMatchObject({ threads: 2 });
    expect(modelRuntime(model)?.threadChoice).toBeUndefined();
    const strip = new Int8Array([10, 20, 30, 0, 0, 0, -5, 5, 0, 1, 2, 3]);
    await expect(model.run([strip])).rejects.toMatchObject({ name: 'ReefError', reason: 'litert-prepare-failed' });
    model.dispose();
    // The engine goes on: the next model loads, is measured and runs.
    const next = await engine.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    expect(modelRuntime(next)?.threadChoice?.sameOutputs).toBe(true);
    expect((await outputsOf(next))[0]!.length).toBe(1001);
    next.dispose();
  });
});
