/**
 * A model LiteRT refuses to prepare, in the real accelerator worker in Chromium (built app,
 * threaded LiteRT): the run ends in a typed error that crossed the worker boundary (one line naming
 * the op, no result), and the next model loads and runs correctly in the same worker. The refused
 * model is generated with the project's ModelBuilder and posted to the worker as bytes.
 */
import { expect, test } from '@playwright/test';
import { softmaxModel } from '../unit/runtime/hostile-models.ts';
import { openHarness } from './support/engine-harness.ts';

const STRIP = [10, 20, 30, 0, 0, 0, -5, 5, 0, 1, 2, 3];
const EXPECTED_SOFTMAX = [0, 1, 2, 3].flatMap((p) => {
  const x = STRIP.slice(p * 3, p * 3 + 3).map((v) => v * 0.1);
  const e = x.map((v) => Math.exp(v - Math.max(...x)));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => Math.min(127, Math.round((v / sum) * 256) - 128));
});

test('LiteRT refusing a model is a typed error in the worker, and the next model runs correctly', async ({ page }) => {
  await openHarness(page);
  const out = await page.evaluate(
    async ({ refused, good, strip }) => {
      const w = window as unknown as {
        reef(method: string, args?: unknown[]): Promise<unknown>;
        fixture(name: string): Promise<Uint8Array>;
        bitmap(name: string): Promise<ImageBitmap>;
      };
      const failure = async (call: () => Promise<unknown>) => {
        try {
          return { result: await call() };
        } catch (e) {
          const error = e as { name?: string; code?: string; reason?: string; message: string };
          return { error: { name: error.name, code: error.code, reason: error.reason, message: error.message } };
        }
      };
      const bad = (await w.reef('loadModel', [new Uint8Array(refused)])) as {
        id: string;
        runtime: { variant: string };
      };
      const task = await failure(async () => w.reef('runTask', [bad.id, await w.bitmap('cat.bmp'), 'classify']));
      const raw = await failure(() => w.reef('runModel', [bad.id, [new Int8Array(12)]]));
      // The same model with the zero point LiteRT's int8 SOFTMAX needs: the instance was replaced cleanly.
      const fixed = (await w.reef('loadModel', [new Uint8Array(good)])) as { id: string };
      const fixedRun = (await w.reef('runModel', [fixed.id, [new Int8Array(strip)]])) as {
        outputs: { data: ArrayLike<number> }[];
      };
      const info = (await w.reef('loadModel', [await w.fixture('mobilenet_v1_0.25_128_quant.tflite')])) as {
        id: string;
      };
      const after = (await w.reef('runTask', [info.id, await w.bitmap('cat.bmp'), 'classify', { topK: 1 }])) as {
        classes: { label: string; score: number }[];
      };
      return {
        variant: bad.runtime.variant,
        task,
        raw,
        fixed: Array.from(fixedRun.outputs[0]!.data),
        after: after.classes[0]!,
      };
    },
    { refused: Array.from(softmaxModel(0)), good: Array.from(softmaxModel(-128)), strip: STRIP },
  );
  expect(out.variant).toBe('threaded');
  const refusal = {
    code: 'INVALID_ARGUMENT',
    reason: 'litert-prepare-failed',
    message: 'LiteRT could not prepare op 0 (SOFTMAX): output->params.zero_point != -128 (0 != -128)',
  };
  expect(out.task).toEqual({ error: expect.objectContaining(refusal) });
  expect(out.raw).toEqual({ error: expect.objectContaining(refusal) });
  // softmax(0.1·x) over each pixel's 3 channels, quantized with scale 1/256 and zero point −128.
  expect(out.fixed).toHaveLength(12);
  out.fixed.forEach((q, i) => expect(Math.abs(q - EXPECTED_SOFTMAX[i]!)).toBeLessThanOrEqual(1));
  expect(out.after.label).toBe('tiger cat');
});
