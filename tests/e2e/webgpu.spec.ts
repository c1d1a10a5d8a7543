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
        runOnPattern(id: string, inputs: { dtype: string; shape: number[] }[]): Promise<unknown>;
      };
      try {
        const bytes = new Uint8Array(model);
        // `auto` waits for its whole calibration here (as benchmarks do): the figures are the point.
        const options = engine === 'auto' ? { engine, wait: true } : { engine };
        const info = (await w.reef('loadModel', [bytes, options], [bytes.buffer])) as {
          id: string;
          inputs: { dtype: string; shape: number[] }[];
          decision: WorkerOutcome['decision'];
        };
        const result = (await w.runOnPattern(info.id, info.inputs)) as {
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
      test.info().annotations.push({
        type: `${kind} model on WebGPU`,
        description: gpu.ok ? 'ran' : `skipped: ${gpu.error?.message}`,
      });
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

async function importModel(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  await page.goto('/#/models');
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files' }).click();
  await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  await expect(page.getByRole('status').filter({ hasText: `Imported ${name}` })).toBeVisible();
}

test.describe('WebGPU in the pages', () => {
  test('Automatic measures GPU against CPU and shows the figures; after a reload the choice is remembered', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const watch = await watchPage(page);
    // The System page lists the ladder: every engine, available or with the reason.
    await page.goto('/#/system');
    const engines = page.getByRole('table', { name: 'Engines' });
    await expect(engines.locator('tr[data-engine="webgpu"]')).toHaveText(/GPU \(WebGPU\)\s*available/);
    await expect(engines.locator('tr[data-engine="wasm"]')).toHaveText(/CPU \(WebAssembly\)\s*available/);
    await expect(engines.locator('tr[data-engine="webnn"]')).toContainText('this browser has no WebNN (navigator.ml)');
    await expect(engines.locator('tr[data-engine="edgetpu"]')).toContainText('Coral');
    // Training takes the tfjs WebGPU backend when an adapter is granted, and the page says so.
    await page.getByRole('button', { name: 'Check the training backend' }).click();
    await expect(page.getByTestId('training-backend')).toHaveText(
      'Training runs on tfjs WebGPU (GPU): this browser granted a WebGPU adapter.',
      { timeout: 60_000 },
    );
    await importModel(page, FLOAT_CLASSIFIER_NAME, floatClassifier());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
    await page.getByLabel('Model', { exact: true }).selectOption({ label: FLOAT_CLASSIFIER_NAME });
    await expect(page.getByLabel('Engine').locator('option', { hasText: 'GPU (WebGPU)' })).toHaveCount(1);
    await page.getByLabel('Engine').selectOption('auto');
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    const choice = page.getByTestId('live-engine-choice');
    await expect(choice).toContainText('measured now in', { timeout: 60_000 });
    await expect(choice).toHaveText(
      /^Runs on (GPU \(WebGPU\)|CPU \(WebAssembly\)) · fastest correct of .*(GPU \(WebGPU\) \d+\.\d ms, CPU \(WebAssembly\) \d+\.\d ms|CPU \(WebAssembly\) \d+\.\d ms, GPU \(WebGPU\) \d+\.\d ms)/,
    );
    await page.screenshot({ path: 'test-results/screens/live-webgpu-auto-desktop.png', fullPage: true });

    // A reload starts a fresh worker: the choice comes from IndexedDB, with no calibration.
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
    await expect(page.getByLabel('Engine')).toHaveValue('auto');
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    await expect(choice).toContainText('(measured earlier, remembered)', { timeout: 60_000 });
    await expect(choice).not.toContainText('measured now');

    // Explicitly on the GPU: the engine line names it.
    await page.getByLabel('Engine').selectOption('webgpu');
    await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'litert-webgpu · gpu', {
      timeout: 60_000,
    });
    await expect(choice).toHaveText('Runs on GPU (WebGPU) · as chosen');

    // The Benchmark page offers every available engine and shows the ladder's decision.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Benchmark' }).click();
    for (const name of ['Automatic (the ladder’s pick)', 'CPU (WebAssembly)', 'GPU (WebGPU)']) {
      await expect(page.getByRole('checkbox', { name })).toBeVisible();
    }
    await page.getByRole('checkbox', { name: 'Automatic (the ladder’s pick)' }).check();
    await page.getByRole('checkbox', { name: 'GPU (WebGPU)' }).check();
    await page.getByLabel('Iterations').fill('5');
    await page.getByRole('button', { name: 'Run benchmark' }).click();
    await expect(page.getByText('15 of 15 runs')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('ladder-decision')).toContainText(`${FLOAT_CLASSIFIER_NAME} runs on`);
    await expect(page.getByTestId('ladder-decision')).toContainText('GPU (WebGPU)');
    await expect(page.getByRole('table', { name: 'Latency by model and engine' })).toContainText('GPU (WebGPU)');
    await page.screenshot({ path: 'test-results/screens/benchmark-webgpu-desktop.png', fullPage: true });
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
