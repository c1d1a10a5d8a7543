/**
 * The accelerator worker's models on the ladder (TpuEngines in Node, no TPU): `auto` on a CPU model
 * measures the registered rungs against the real WASM engine; a rung whose outputs differ is never
 * chosen, the faster correct one is, and the page gets the decision as plain data.
 */
import { describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import {
  LiteRtRuntime,
  DEFAULT_CALIBRATION,
  MemoryChoiceCache,
  type EngineFactory,
  type LoadedModel,
} from '../../../src/lib/runtime/index.ts';
import { WorkerEngines } from '../../../src/worker/engines.ts';
import { TpuEngines } from '../../../src/worker/tpu-engines.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage } from './support.ts';

/** A "GPU" rung that is really the CPU engine reporting `ms`, with `offset` added to float outputs. */
function gpuRung(ms: number, offset: number): EngineFactory {
  const engine = cpuEngine();
  return {
    kind: 'webgpu',
    label: 'GPU (test rung)',
    priority: 20,
    capabilities: {
      edgeTpuOps: false,
      dtypes: ['float32', 'uint8', 'int8', 'int32'],
      quantized: true,
      reefKernels: false,
    },
    probe: async () => ({ available: true, devices: ['gpu'] }),
    async load(bytes): Promise<LoadedModel> {
      const inner = await engine.load(bytes);
      return {
        inputs: inner.inputs,
        outputs: inner.outputs,
        engine: 'test-gpu',
        device: 'gpu',
        async run(inputs) {
          const result = await inner.run(inputs);
          for (const o of result.outputs) {
            if (o.data instanceof Uint8Array) o.data.forEach((v, i, a) => (a[i] = Math.min(255, v + offset)));
          }
          return { ...result, engine: 'test-gpu', device: 'gpu', ms };
        },
        dispose: () => inner.dispose(),
      };
    },
  };
}

/** `blockMs`: how long a load waits for the whole calibration (the rest goes on in the background). */
function worker(rung: EngineFactory, blockMs = 60_000): TpuEngines {
  return new TpuEngines(undefined, new WorkerEngines(() => cpuEngine()), () => new LiteRtRuntime(nodeLiteRtLoader), {
    engines: [rung],
    cache: new MemoryChoiceCache(),
    calibration: { ...DEFAULT_CALIBRATION, blockMs },
  });
}

describe('the worker on the ladder', () => {
  it('auto picks a faster rung whose outputs agree with WASM, and classifies with it', async () => {
    const engines = worker(gpuRung(0.001, 0));
    const info = await engines.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'auto' });
    expect(info).toMatchObject({ engine: 'test-gpu', device: 'gpu', requested: 'auto' });
    expect(info.decision).toMatchObject({ kind: 'webgpu', label: 'GPU (test rung)', how: 'calibrated' });
    expect(info.decision.figures.map((f) => f.label)).toEqual(['GPU (test rung)', 'CPU (WebAssembly)']);
    expect(info.decision.skipped).toContainEqual({
      engine: 'edgetpu',
      reason: 'Coral is not available: no WebUSB in this browser',
    });
    const result = await engines.runTask(info.id, await fixtureImage('cat.bmp'), 'classify', { topK: 1 });
    expect(result).toMatchObject({ engine: 'test-gpu', device: 'gpu' });
    expect(result.task === 'classify' && result.classes[0]!.label).toBe('tiger cat');
    // Plain data for comlink: the decision survives structured cloning.
    expect(structuredClone(info.decision)).toEqual(info.decision);
  });

  it('classifies on WASM at once when the calibration outlasts the wait, then on the winner once it settles', async () => {
    const engines = worker(gpuRung(0.001, 0), 0);
    const info = await engines.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'auto' });
    expect(info).toMatchObject({ engine: 'litert-wasm', device: 'cpu' });
    expect(info.decision).toMatchObject({ kind: 'wasm', how: 'calibrating', pending: ['GPU (test rung)'] });
    const cat = await fixtureImage('cat.bmp');
    let settled: Awaited<ReturnType<TpuEngines['settled']>> | 'not yet' = 'not yet';
    void engines.settled(info.id).then((choice) => (settled = choice));
    const results: { engine: string; label: string | false }[] = [];
    // A camera's frames meanwhile: every one is classified, whichever engine runs it.
    while (settled === 'not yet' && results.length < 500) {
      const r = await engines.runTask(info.id, cat, 'classify', { topK: 1 });
      results.push({ engine: r.engine, label: r.task === 'classify' && r.classes[0]!.label });
      // Frames come as events: the background calibration's timers and I/O get their turns between.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(settled).toMatchObject({
      requested: 'auto',
      decision: { kind: 'webgpu', label: 'GPU (test rung)', how: 'calibrated' },
    });
    const after = await engines.runTask(info.id, cat, 'classify', { topK: 1 });
    expect(after.engine).toBe('test-gpu');
    expect(after.task === 'classify' && after.classes[0]!.label).toBe('tiger cat');
    expect(results[0]!.engine).toBe('litert-wasm');
    expect(results.every((r) => r.label === 'tiger cat')).toBe(true);
    // Settled once: asked again, the same choice at once.
    expect(await engines.settled(info.id)).toEqual(settled);
  });

  it('never picks a rung that is faster but 4 quantization steps off', async () => {
    const engines = worker(gpuRung(0.001, 4));
    const info = await engines.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'auto' });
    expect(info).toMatchObject({ engine: 'litert-wasm', device: 'cpu' });
    expect(info.decision.skipped.find((s) => s.engine === 'webgpu')?.reason).toMatch(
      /^GPU \(test rung\) gave wrong outputs: output 0 differs from WASM by /,
    );
  });
});
