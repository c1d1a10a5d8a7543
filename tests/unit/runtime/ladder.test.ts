/**
 * The engine ladder's scheduler with fake engines: the fastest engine whose outputs agree with WASM
 * wins; a wrong, failing or unavailable engine is never chosen and its reason is recorded; the
 * choice is cached per model and engine set, and measured again when the set changes.
 */
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  EngineLadder,
  EngineRegistry,
  MemoryChoiceCache,
  type CalibrationOptions,
  type ChoiceCache,
} from '../../../src/lib/runtime/ladder/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { sha256Hex } from '../../../src/lib/sha256.ts';
import { FakeEngine, tinyFloatModel, type FakeEngineSpec, type RunActivity } from './ladder-fakes.ts';

function ladderOf(
  specs: FakeEngineSpec[],
  cache: ChoiceCache = new MemoryChoiceCache(),
  calibration: CalibrationOptions = { runs: 3, budgetMs: 1000, margin: 1.25, capMs: 5000, blockMs: 60_000 },
) {
  const registry = new EngineRegistry();
  const engines = specs.map((s) => new FakeEngine(s));
  for (const e of engines) registry.register(e);
  const ladder = new EngineLadder(registry, { cache, calibration });
  return { ladder, engines, registry };
}

describe('auto picks by measurement', () => {
  it('chooses the fastest engine whose outputs agree with WASM, and reports every figure', async () => {
    const { ladder, engines } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 3, error: 0.001 },
    ]);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('webgpu');
    expect(result.device).toBe('gpu');
    expect(result.label).toBe('fake webgpu');
    expect(result.requested).toBe('auto');
    expect(result.fallback).toBeUndefined();
    expect(result.decision.how).toBe('calibrated');
    expect(result.decision.figures.map((f) => [f.engine, f.medianMs])).toEqual([
      ['webgpu', 3],
      ['wasm', 10],
    ]);
    expect(result.decision.figures[0]!.maxError).toBeCloseTo(0.001, 6);
    // The loser was released; the winner was not.
    expect(engines[0]!.disposed).toBe(1);
    expect(engines[1]!.disposed).toBe(0);
    // One warm-up and two timed runs each: equal runs decide, a third would not change the order.
    expect(engines.map((e) => e.runs)).toEqual([3, 3]);
    expect(result.decision.figures.map((f) => [f.cost?.timedRuns, f.cost?.stop])).toEqual([
      [2, 'decided'],
      [2, 'decided'],
    ]);
  });

  it('keeps WASM when it is the fastest, and stops timing a candidate that cannot win', async () => {
    const { ladder, engines } = ladderOf([
      { kind: 'wasm', ms: 2 },
      { kind: 'webgpu', ms: 5 },
    ]);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('wasm');
    expect(result.decision.figures.map((f) => [f.engine, f.medianMs])).toEqual([
      ['wasm', 2],
      ['webgpu', 5],
    ]);
    // More than twice the best median after one timed run: warm-up + 1, not warm-up + 3.
    expect(engines.map((e) => e.runs)).toEqual([3, 2]);
    expect(result.decision.figures[1]!.cost).toMatchObject({ timedRuns: 1, stop: 'out' });
  });

  it('stops timing early only where more runs could not change the pick, and still picks the fastest', async () => {
    // WASM is noisy (its runs never agree within the margin), so it gets every timed run; the GPU is
    // clearly faster after two runs; WebNN is more than twice as slow as the best after one.
    const { ladder, engines } = ladderOf(
      [
        { kind: 'wasm', ms: [10, 14, 9, 13, 10] },
        { kind: 'webgpu', ms: [2, 3, 2, 2, 2] },
        { kind: 'webnn', ms: [25, 1, 1, 1, 1] },
      ],
      new MemoryChoiceCache(),
      { runs: 5, budgetMs: 1000, margin: 1.25, capMs: 5000, blockMs: 60_000 },
    );
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('webgpu');
    const cost = Object.fromEntries(result.decision.figures.map((f) => [f.engine, f.cost]));
    expect(cost['wasm']).toMatchObject({ timedRuns: 5, timedMs: 56, stop: 'runs' });
    expect(cost['webgpu']).toMatchObject({ timedRuns: 2, timedMs: 5, stop: 'decided' });
    expect(cost['webnn']).toMatchObject({ timedRuns: 1, timedMs: 25, stop: 'out' });
    expect(engines.map((e) => [e.kind, e.runs])).toEqual([
      ['wasm', 6],
      ['webgpu', 3],
      ['webnn', 2],
    ]);
    // Had WebNN been timed on, its later runs (1 ms) would have won: the out rule is what the
    // issue asks (slower than 2× the best after its first timed run is out), and its figure says so.
    expect(result.decision.figures.map((f) => [f.engine, f.medianMs])).toEqual([
      ['webgpu', 2.5],
      ['wasm', 10],
      ['webnn', 25],
    ]);
  });

  it('caps a slow candidate by its budget, warm-up included: one timed run, not five', async () => {
    const { ladder } = ladderOf(
      [
        { kind: 'wasm', ms: [60, 70, 50], warmUpMs: 100 },
        { kind: 'webgpu', ms: [40, 90], warmUpMs: 400 },
      ],
      new MemoryChoiceCache(),
      { runs: 5, budgetMs: 150, margin: 1.25, capMs: 5000, blockMs: 60_000 },
    );
    const result = await ladder.load(tinyFloatModel());
    const cost = Object.fromEntries(result.decision.figures.map((f) => [f.engine, f.cost]));
    expect(cost['wasm']).toMatchObject({ warmUpMs: 100, timedRuns: 1, timedMs: 60, stop: 'budget' });
    expect(cost['webgpu']).toMatchObject({ warmUpMs: 400, timedRuns: 1, timedMs: 40, stop: 'budget' });
    expect(result.engine).toBe('webgpu');
  });

  it('does not wait for a candidate whose load and first run pass the cap, says so, and releases it later', async () => {
    const { ladder, engines } = ladderOf(
      [
        { kind: 'wasm', ms: 10, loadDelayMs: 150 },
        { kind: 'webgpu', ms: 1, loadDelayMs: 300 },
      ],
      new MemoryChoiceCache(),
      { runs: 3, budgetMs: 1000, margin: 1.25, capMs: 100, blockMs: 60_000 },
    );
    const result = await ladder.load(tinyFloatModel());
    // The reference has no cap (everything is judged by it); the GPU is not measured.
    expect(result.engine).toBe('wasm');
    expect(result.decision.how).toBe('calibrated');
    expect(result.decision.skipped).toContainEqual({
      engine: 'webgpu',
      reason: 'fake webgpu not measured: loading the model and its first run took longer than 100 ms',
    });
    expect(result.decision.figures.map((f) => f.engine)).toEqual(['wasm']);
    expect(engines[1]!.disposed).toBe(0);
    await expect.poll(() => engines[1]!.disposed, { timeout: 2000 }).toBe(1);
    expect(engines[1]!.runs).toBe(1);
  });

  it('checks outputs on the warm-up run: a wrong engine gets no timed run at all', async () => {
    const { ladder, engines } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 1, error: 0.5 },
      { kind: 'webnn', ms: 4 },
    ]);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('webnn');
    expect(engines[1]!.runs).toBe(1);
    expect(result.decision.figures.map((f) => f.engine)).toEqual(['webnn', 'wasm']);
  });

  it('never chooses an engine whose outputs disagree with WASM, however fast, and says why', async () => {
    const { ladder, engines } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 1, error: 0.5 },
    ]);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('wasm');
    const skip = result.decision.skipped.find((s) => s.engine === 'webgpu');
    expect(skip?.reason).toMatch(/wrong outputs: output 0 differs from WASM by 0\.500 \(tolerance/);
    expect(result.decision.figures.map((f) => f.engine)).toEqual(['wasm']);
    expect(engines[1]!.disposed).toBe(1);
  });

  it('never chooses an engine that fails to load or to run, and records its error', async () => {
    const { ladder } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 1, loadThrows: 'no GPU kernel for CONV_2D int8' },
      { kind: 'webnn', ms: 1, runThrows: 'context lost' },
    ]);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('wasm');
    expect(result.decision.skipped).toEqual([
      { engine: 'webgpu', reason: 'fake webgpu failed: no GPU kernel for CONV_2D int8' },
      { engine: 'webnn', reason: 'fake webnn failed: context lost' },
    ]);
  });

  it('lists an unavailable engine with its reason and does not load it', async () => {
    const { ladder, engines } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 1, probe: { available: false, reason: 'no WebGPU adapter' } },
    ]);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('wasm');
    expect(result.decision.how).toBe('only-engine');
    expect(result.decision.skipped).toEqual([
      { engine: 'webgpu', reason: 'fake webgpu is not available: no WebGPU adapter' },
    ]);
    expect(engines[1]!.loads).toBe(0);
    expect(await ladder.engines()).toEqual([
      { engine: 'webgpu', label: 'fake webgpu', available: false, devices: [], reason: 'no WebGPU adapter' },
      { engine: 'wasm', label: 'fake wasm', available: true, devices: ['cpu'] },
    ]);
  });

  it('fails with every reason when no engine can run the model', async () => {
    const { ladder } = ladderOf([{ kind: 'wasm', ms: 1, probe: { available: false, reason: 'LiteRT did not load' } }]);
    await expect(ladder.load(tinyFloatModel())).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'no-engine',
      message: expect.stringContaining('LiteRT did not load'),
    });
  });

  it('a failing WASM reference fails the load: nothing unverified is chosen', async () => {
    const { ladder } = ladderOf([
      { kind: 'wasm', ms: 10, runThrows: 'LiteRT could not prepare op 0 (RELU)' },
      { kind: 'webgpu', ms: 1 },
    ]);
    await expect(ladder.load(tinyFloatModel())).rejects.toThrow('LiteRT could not prepare op 0');
  });
});

describe('a calibration that outlasts the wait goes on in the background', () => {
  const slowGpu = (activity?: RunActivity): FakeEngineSpec[] => [
    { kind: 'wasm', ms: 10, ...(activity ? { activity, runDelayMs: 5 } : {}) },
    { kind: 'webgpu', ms: 2, loadDelayMs: 150, ...(activity ? { activity, runDelayMs: 5 } : {}) },
  ];
  const blocking = { runs: 3, budgetMs: 1000, margin: 1.25, capMs: 5000, blockMs: 40 };

  it('hands the model out on WASM at once, then moves it to the faster engine between two runs', async () => {
    const cache = new MemoryChoiceCache();
    const { ladder, engines } = ladderOf(slowGpu(), cache, blocking);
    const result = await ladder.load(tinyFloatModel());
    expect(result.engine).toBe('wasm');
    expect(result.decision.how).toBe('calibrating');
    expect(result.decision.pending).toEqual(['fake webgpu']);
    expect(result.decision.figures.map((f) => f.engine)).toEqual(['wasm']);
    // The person's runs go on meanwhile, on WASM.
    expect((await result.model.run([new Float32Array(8)])).engine).toBe('wasm');
    const settled = await result.settled;
    expect(settled?.engine).toBe('webgpu');
    expect(settled?.label).toBe('fake webgpu');
    expect(settled?.decision.how).toBe('calibrated');
    // What the load waited for, and the whole measurement after it.
    expect(settled?.decision.waitedMs).toBe(result.decision.calibrationMs);
    expect(settled!.decision.calibrationMs).toBeGreaterThan(result.decision.calibrationMs);
    expect(settled?.decision.figures.map((f) => [f.engine, f.medianMs])).toEqual([
      ['webgpu', 2],
      ['wasm', 10],
    ]);
    // The same model object now runs on the GPU; WASM's copy was released, once.
    expect(result.model.engine).toBe('webgpu');
    expect((await result.model.run([new Float32Array(8)])).engine).toBe('webgpu');
    expect(engines[0]!.disposed).toBe(1);
    expect(engines[1]!.disposed).toBe(0);
    // Remembered like any calibration: the next load takes the GPU without measuring.
    const again = await ladder.load(tinyFloatModel());
    expect([again.engine, again.decision.how, again.settled]).toEqual(['webgpu', 'cached', undefined]);
  });

  it("never lets a timed run share its turn with a person's run", async () => {
    const activity: RunActivity = { now: 0, most: 0 };
    const { ladder } = ladderOf(slowGpu(activity), new MemoryChoiceCache(), blocking);
    const result = await ladder.load(tinyFloatModel());
    expect(result.decision.how).toBe('calibrating');
    const runs: Promise<unknown>[] = [];
    // A camera's worth of runs while the GPU is loaded, warmed up and timed.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      runs.push(result.model.run([new Float32Array(8)]));
      await new Promise((r) => setTimeout(r, 3));
    }
    await Promise.all(runs);
    await result.settled;
    expect(activity.most).toBe(1);
  });

  it('keeps WASM when the late engine disagrees, and says why', async () => {
    const { ladder, engines } = ladderOf(
      [
        { kind: 'wasm', ms: 10 },
        { kind: 'webgpu', ms: 1, loadDelayMs: 100, error: 0.5 },
      ],
      new MemoryChoiceCache(),
      blocking,
    );
    const result = await ladder.load(tinyFloatModel());
    const settled = await result.settled;
    expect(settled?.engine).toBe('wasm');
    expect(settled?.decision.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/^fake webgpu gave wrong outputs: output 0 differs from WASM/),
    ]);
    expect(result.model.engine).toBe('wasm');
    expect(engines[0]!.disposed).toBe(0);
    expect(engines[1]!.disposed).toBe(1);
  });

  it('stops when the model is unloaded first: nothing switches, nothing is remembered, all is released', async () => {
    const cache = new MemoryChoiceCache();
    const { ladder, engines } = ladderOf(slowGpu(), cache, blocking);
    const result = await ladder.load(tinyFloatModel());
    result.model.dispose();
    expect(await result.settled).toBeUndefined();
    await expect.poll(() => engines.map((e) => e.disposed)).toEqual([1, 1]);
    expect(await cache.get(await sha256Hex(tinyFloatModel()))).toBeUndefined();
  });

  it('waits for the whole calibration when asked (benchmarks, the CLI)', async () => {
    const { ladder } = ladderOf(slowGpu(), new MemoryChoiceCache(), blocking);
    const result = await ladder.load(tinyFloatModel(), { wait: true });
    expect([result.engine, result.decision.how, result.settled]).toEqual(['webgpu', 'calibrated', undefined]);
  });
});

describe('the cached choice', () => {
  it('is reused on the next load (another ladder, same cache) with no calibration runs', async () => {
    const cache = new MemoryChoiceCache();
    const model = tinyFloatModel();
    const first = ladderOf(
      [
        { kind: 'wasm', ms: 10 },
        { kind: 'webgpu', ms: 3 },
      ],
      cache,
    );
    const measured = await first.ladder.load(model);
    expect(measured.decision.how).toBe('calibrated');

    const second = ladderOf(
      [
        { kind: 'wasm', ms: 10 },
        { kind: 'webgpu', ms: 3 },
      ],
      cache,
    );
    const reused = await second.ladder.load(model);
    expect(reused.engine).toBe('webgpu');
    expect(reused.decision.how).toBe('cached');
    expect(reused.decision.calibrationMs).toBe(0);
    expect(reused.decision.figures).toEqual(measured.decision.figures);
    expect(second.engines.map((e) => [e.loads, e.runs])).toEqual([
      [0, 0],
      [1, 0],
    ]);
  });

  it('is measured again when the engine set changes: a TPU unplugged, then WebGPU lost', async () => {
    const cache = new MemoryChoiceCache();
    const model = tinyFloatModel();
    const specs: FakeEngineSpec[] = [
      { kind: 'edgetpu', ms: 1 },
      { kind: 'webgpu', ms: 4 },
      { kind: 'webnn', ms: 2, probe: { available: false, reason: 'no navigator.ml' } },
      { kind: 'wasm', ms: 10 },
    ];
    const load = async () => {
      const { ladder, engines } = ladderOf(specs, cache);
      return { result: await ladder.load(model), engines };
    };
    const first = await load();
    expect([first.result.engine, first.result.decision.how]).toEqual(['webgpu', 'calibrated']);
    // A float model is not compiled: the TPU is listed as unable, never loaded.
    expect(first.result.decision.skipped[0]).toEqual({
      engine: 'edgetpu',
      reason: 'fake edgetpu cannot run this model: the model is not compiled for the Edge TPU',
    });
    expect(first.engines[0]!.loads).toBe(0);
    expect((await load()).result.decision.how).toBe('cached');

    specs[0] = { kind: 'edgetpu', ms: 1, probe: { available: false, reason: 'no Edge TPU is connected' } };
    const unplugged = await load();
    expect([unplugged.result.engine, unplugged.result.decision.how]).toEqual(['webgpu', 'calibrated']);
    expect(unplugged.engines[3]!.runs).toBeGreaterThan(0);
    expect((await load()).result.decision.how).toBe('cached');

    specs[1] = { kind: 'webgpu', ms: 4, probe: { available: false, reason: 'the GPU device was lost' } };
    specs[2] = { kind: 'webnn', ms: 2 };
    const gpuLost = await load();
    expect([gpuLost.result.engine, gpuLost.result.decision.how]).toEqual(['webnn', 'calibrated']);
    expect(gpuLost.result.decision.skipped).toContainEqual({
      engine: 'webgpu',
      reason: 'fake webgpu is not available: the GPU device was lost',
    });
  });

  it('sends a compiled model to a ready TPU unmeasured; without one it measures the CPU twin', async () => {
    const cache = new MemoryChoiceCache();
    const compiled = await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const twin = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    const specs: FakeEngineSpec[] = [
      { kind: 'edgetpu', ms: 5 },
      { kind: 'webgpu', ms: 4 },
      { kind: 'wasm', ms: 10 },
    ];
    const withTpu = ladderOf(specs, cache);
    const onTpu = await withTpu.ladder.load(compiled, { cpuTwin: twin });
    expect([onTpu.engine, onTpu.device, onTpu.label, onTpu.decision.how]).toEqual([
      'edgetpu',
      'usb:0',
      'fake edgetpu usb:0',
      'preferred',
    ]);
    expect(onTpu.fallback).toBeUndefined();
    expect(withTpu.engines[0]!.lastBytes).toBe(compiled);
    expect(withTpu.engines.map((e) => e.runs)).toEqual([0, 0, 0]);

    specs[0] = { kind: 'edgetpu', ms: 1, probe: { available: false, reason: 'no Edge TPU is connected' } };
    const unplugged = ladderOf(specs, cache);
    const onGpu = await unplugged.ladder.load(compiled, { cpuTwin: twin });
    expect([onGpu.engine, onGpu.decision.how]).toEqual(['webgpu', 'calibrated']);
    expect(onGpu.fallback).toBe('no Edge TPU is connected; running on fake webgpu');
    // The others run the compiled model's CPU version.
    expect(unplugged.engines[1]!.lastBytes).toBe(twin);
    expect(unplugged.engines[2]!.lastBytes).toBe(twin);

    await expect(unplugged.ladder.load(compiled)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'needs-accelerator',
    });
  });

  it('is measured again when the cached engine now fails to load, with that failure recorded', async () => {
    const cache = new MemoryChoiceCache();
    const model = tinyFloatModel();
    await ladderOf(
      [
        { kind: 'wasm', ms: 10 },
        { kind: 'webgpu', ms: 3 },
      ],
      cache,
    ).ladder.load(model);
    const broken = ladderOf(
      [
        { kind: 'wasm', ms: 10 },
        { kind: 'webgpu', ms: 3, loadThrows: 'device lost' },
      ],
      cache,
    );
    const result = await broken.ladder.load(model);
    expect(result.engine).toBe('wasm');
    expect(result.decision.skipped[0]!.reason).toBe('fake webgpu failed to load: device lost');
  });
});

describe('explicit engine requests', () => {
  it('loads exactly the requested engine, without calibration', async () => {
    const { ladder, engines } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 3 },
    ]);
    const result = await ladder.load(tinyFloatModel(), { engine: 'cpu' });
    expect([result.engine, result.device, result.requested, result.decision.how]).toEqual([
      'wasm',
      'cpu',
      'cpu',
      'requested',
    ]);
    expect(engines[1]!.loads).toBe(0);
    expect(engines[0]!.runs).toBe(0);
  });

  it('refuses an unavailable engine with its reason, and an unknown one by name', async () => {
    const { ladder } = ladderOf([
      { kind: 'wasm', ms: 10 },
      { kind: 'webgpu', ms: 3, probe: { available: false, reason: 'Node has no navigator.gpu' } },
    ]);
    const unavailable = await ladder.load(tinyFloatModel(), { engine: 'webgpu' }).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(ReefError);
    expect(unavailable).toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'engine-unavailable',
      message: 'fake webgpu is not available: Node has no navigator.gpu',
    });
    await expect(ladder.load(tinyFloatModel(), { engine: 'gpu' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'unknown-engine',
    });
  });

  it('refuses a compiled model on an engine without the Edge TPU op when no CPU twin is given', async () => {
    const { ladder } = ladderOf([{ kind: 'wasm', ms: 10 }]);
    const compiled = await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    await expect(ladder.load(compiled, { engine: 'wasm' })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'needs-accelerator',
      message: expect.stringContaining('compiled for the Edge TPU and no CPU version'),
    });
  });
});
