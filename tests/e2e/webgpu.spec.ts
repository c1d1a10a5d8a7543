/**
 * The engine ladder's WebGPU rung in headless Chromium with `--enable-unsafe-webgpu` (a SwiftShader
 * adapter; the `webgpu` Playwright project). Through the real accelerator worker: the ladder lists
 * WebGPU; a float model and an int8 model each run on it or are skipped with the recorded reason;
 * what runs agrees with WASM within the ladder's tolerance. Through the pages: `auto` picks by
 * measurement and shows the figures, and after a reload the cached choice is used unmeasured.
 * SwiftShader is a CPU emulation of a GPU: its timings say nothing about real GPUs, so only the
 * presence of figures is checked, never which engine is faster.
 */
import { expect, test, type Page } from '@playwright/test';
import { compareOutputs, type Tensor } from '../../src/lib/runtime/index.ts';
import { floatClassifier, FLOAT_CLASSIFIER_NAME } from '../unit/runtime/ladder-models.ts';
import { readFixture } from '../support/fixtures.ts';
import { openHarness } from './support/engine-harness.ts';
import { pickImage } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

interface WorkerOutcome {
  ok: boolean;
  engine?: string;
  device?: string;
  outputs?: Tensor[];
  error?: { code?: string; reason?: string; message: string };
  decision?: { how: string; label: string; skipped: { engine: string; reason: string }[]; figures: unknown[] };
}

/** Loads `bytes` on `engine` in the worker and runs the same fixed pattern input as every other call. */
function runOn(page: Page, bytes: Uint8Array, engine: string): Promise<WorkerOutcome> {
  return page.evaluate(
    async ({ model, engine }) => {
      const w = window as unknown as {
        reef(method: string, args?: unknown[], transfer?: Transferable[]): Promise<unknown>;
        pattern(dtype: string, n: number): ArrayLike<number> & { buffer: ArrayBuffer };
      };
      try {
        const bytes = new Uint8Array(model);
        const info = (await w.reef('loadModel', [bytes, { engine }], [bytes.buffer])) as {
          id: string;
          inputs: { dtype: string; shape: number[] }[];
          decision: WorkerOutcome['decision'];
        };
        const inputs = info.inputs.map((i) =>
          w.pattern(
            i.dtype,
            i.shape.reduce((a, b) => a * b, 1),
          ),
        );
        const result = (await w.reef(
          'runModel',
          [info.id, inputs],
          inputs.map((i) => i.buffer),
        )) as {
          engine: string;
          device: string;
          outputs: (Omit<Tensor, 'data'> & { data: ArrayLike<number> })[];
        };
        await w.reef('unloadModel', [info.id]);
        return {
          ok: true,
          engine: result.engine,
          device: result.device,
          decision: info.decision,
          outputs: result.outputs.map((o) => ({ ...o, data: Array.from(o.data) })) as unknown as Tensor[],
        };
      } catch (error) {
        const e = error as { code?: string; reason?: string; message: string };
        return { ok: false, error: { code: e.code, reason: e.reason, message: e.message } };
      }
    },
    { model: Array.from(bytes), engine },
  );
}

function typed(outputs: Tensor[]): Tensor[] {
  return outputs.map((o) => ({
    ...o,
    data:
      o.dtype === 'float32'
        ? Float32Array.from(o.data as unknown as number[])
        : o.dtype === 'int8'
          ? Int8Array.from(o.data as unknown as number[])
          : Uint8Array.from(o.data as unknown as number[]),
  }));
}

test.describe('WebGPU on the engine ladder', () => {
  test('the ladder lists WebGPU; float and int8 models run on it or are skipped with the reason; outputs agree with WASM', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    await openHarness(page);
    const ladder = (await page.evaluate(() =>
      (window as unknown as { reef(m: string): Promise<unknown> }).reef('engineLadder'),
    )) as { engine: string; label: string; available: boolean; reason?: string }[];
    expect(ladder.find((e) => e.engine === 'webgpu')).toMatchObject({ label: 'GPU (WebGPU)', available: true });
    expect(ladder.find((e) => e.engine === 'wasm')).toMatchObject({ label: 'CPU (WebAssembly)', available: true });
    // Headless Chromium has no WebNN: listed, with the reason.
    expect(ladder.find((e) => e.engine === 'webnn')).toMatchObject({
      available: false,
      reason: 'this browser has no WebNN (navigator.ml)',
    });

    const models = {
      float: floatClassifier(),
      int8: await readFixture('mobilenet_v1_0.25_128_quant.tflite'),
    };
    for (const [kind, bytes] of Object.entries(models)) {
      const wasm = await runOn(page, bytes, 'wasm');
      expect(wasm, kind).toMatchObject({ ok: true, engine: 'litert-wasm', device: 'cpu' });
      const gpu = await runOn(page, bytes, 'webgpu');
      console.log(kind, JSON.stringify(gpu.ok ? { engine: gpu.engine } : gpu.error));
      const auto = await runOn(page, bytes, 'auto');
      expect(auto.ok, kind).toBe(true);
      if (gpu.ok) {
        expect([gpu.engine, gpu.device], kind).toEqual(['litert-webgpu', 'gpu']);
        const agreement = compareOutputs(typed(wasm.outputs!), typed(gpu.outputs!));
        expect(agreement.ok, `${kind}: ${agreement.reason}`).toBe(true);
        expect(auto.decision?.figures.length, kind).toBe(2);
      } else {
        // Skipped, never hidden: a typed error, and `auto` records the same reason.
        expect(gpu.error?.code, kind).toMatch(/^(UNIMPLEMENTED|INVALID_ARGUMENT|UNAVAILABLE|INTERNAL)$/);
        expect(auto.decision?.skipped.map((s) => s.reason).join('\n'), kind).toContain(gpu.error!.message);
      }
    }
    // The float model must run on the GPU: that is what the rung is for.
    const float = await runOn(page, models.float, 'webgpu');
    expect(float.ok, JSON.stringify(float.error)).toBe(true);
  });
});
