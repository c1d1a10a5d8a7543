/**
 * Reef's CPU engine in the real accelerator worker in Chromium (built app, cross-origin isolated):
 * every CPU fixture model runs and gives the same outputs as the same engine in Node; task results
 * on fixture images; typed errors across the worker boundary; outputs equal tfjs-tflite's where it
 * runs the model. The worker is driven through its comlink API from a harness page
 * (tests/e2e/support/engine-harness.ts).
 */
import { expect, test, type Page } from '@playwright/test';
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { WasmEngine, type TensorArray } from '../../src/lib/runtime/index.ts';
import { fixtureNames, readFixture, type FixtureName } from '../support/fixtures.ts';
import { openHarness } from './support/engine-harness.ts';

interface PlainTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: number[];
}
interface WorkerRun {
  engine: string;
  device: string;
  runtime: {
    variant: string;
    threads: number;
  };
  outputs: PlainTensor[];
}

const CPU_MODELS = fixtureNames(
  (name) => name.endsWith('.tflite') && !name.includes('edgetpu') && name !== 'model_invoking_error.tflite',
);

function pattern(dtype: string, n: number): TensorArray {
  const a = dtype === 'float32' ? new Float32Array(n) : dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++)
    a[i] = dtype === 'float32' ? ((i * 7) % 251) / 251 : ((i * 7) % 251) - (dtype === 'int8' ? 128 : 0);
  return a;
}

/** Loads a fixture in the worker and runs it on the harness's pattern input. */
function runInWorker(page: Page, name: FixtureName): Promise<WorkerRun> {
  return page.evaluate(async (name) => {
    const w = window as unknown as {
      reef(method: string, args?: unknown[], transfer?: Transferable[]): Promise<unknown>;
      fixture(name: string): Promise<Uint8Array>;
      runOnPattern(id: string, inputs: { dtype: string; shape: number[] }[]): Promise<unknown>;
    };
    const bytes = await w.fixture(name);
    const info = (await w.reef('loadModel', [bytes], [bytes.buffer])) as {
      id: string;
      inputs: { dtype: string; shape: number[] }[];
      runtime: WorkerRun['runtime'];
    };
    const result = (await w.runOnPattern(info.id, info.inputs)) as {
      engine: string;
      device: string;
      outputs: { name: string; dtype: string; shape: number[]; data: ArrayLike<number | bigint> }[];
    };
    await w.reef('unloadModel', [info.id]);
    return {
      engine: result.engine,
      device: result.device,
      runtime: info.runtime,
      outputs: result.outputs.map((o) => ({
        name: o.name,
        dtype: o.dtype,
        shape: o.shape,
        data: Array.from(o.data, Number),
      })),
    };
  }, name);
}

test.describe('CPU engine in the accelerator worker', () => {
  test('every CPU fixture model runs in the worker (threaded LiteRT) and matches the Node engine', async ({ page }) => {
    test.setTimeout(240_000);
    await openHarness(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const node = new WasmEngine(nodeLiteRtLoader);
    for (const name of CPU_MODELS) {
      const worker = await runInWorker(page, name);
      expect(worker.runtime.variant, name).toBe('threaded');
      // Every model gets all cores (LiteRT.js's default); Node's single thread below checks the outputs.
      expect(worker.runtime.threads, name).toBeGreaterThanOrEqual(2);
      expect(worker.device, name).toBe('cpu');
      const model = await node.load(await readFixture(name));
      const inputs = model.inputs.map((i) =>
        pattern(
          i.dtype,
          i.shape.reduce((a, b) => a * b, 1),
        ),
      );
      const expected = await model.run(inputs);
      expect(worker.engine, name).toBe(expected.engine);
      expect(
        worker.outputs.map((o) => o.shape),
        name,
      ).toEqual(expected.outputs.map((o) => o.shape));
      worker.outputs.forEach((o, k) => {
        const want = Array.from(expected.outputs[k]!.data, Number);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(o.data[i]! - want[i]!));
        // Same LiteRT build family and kernels: integer outputs are identical, float within rounding.
        expect(worst, `${name} output ${k}`).toBeLessThanOrEqual(o.dtype === 'float32' ? 1e-3 : 0);
      });
      model.dispose();
    }
    node.dispose();
  });

  test('tasks on fixture images through the worker: ImageBitmap in, labels, mask and keypoints out', async ({
    page,
  }) => {
    await openHarness(page);
    const results = await page.evaluate(async () => {
      const w = window as unknown as {
        reef(method: string, args?: unknown[], transfer?: Transferable[]): Promise<unknown>;
        fixture(name: string): Promise<Uint8Array>;
        bitmap(name: string): Promise<ImageBitmap>;
      };
      const task = async (model: string, image: string, kind: string, options: object = {}) => {
        const bytes = await w.fixture(model);
        const info = (await w.reef('loadModel', [bytes], [bytes.buffer])) as { id: string };
        const bitmap = await w.bitmap(image);
        const result = await w.reef('runTask', [info.id, bitmap, kind, options], [bitmap]);
        await w.reef('unloadModel', [info.id]);
        return result as Record<string, unknown>;
      };
      return {
        cat: await task('mobilenet_v1_0.25_128_quant.tflite', 'cat.bmp', 'classify', { topK: 1 }),
        cat160: await task('mobilenet_v1_0.5_160_quant.tflite', 'cat.bmp', 'classify', { topK: 1 }),
        nine: await task('keras_lstm_mnist_ptq.tflite', 'mnist_nine.bmp', 'classify', { topK: 1 }),
        bird: await task('deeplabv3_mnv2_dm05_pascal_quant.tflite', 'bird_segmentation.bmp', 'segment'),
        squat: await task('movenet_single_pose_lightning_ptq.tflite', 'squat.bmp', 'pose'),
        fish: await task('fish_ssd_detect.tflite', 'bird.bmp', 'detect', { threshold: 0 }),
      };
    });
    type Classes = { classes: { id: number; label: string }[]; engine: string };
    expect((results.cat as unknown as Classes).classes[0]!.label).toBe('tiger cat');
    expect((results.cat160 as unknown as Classes).classes[0]!.label).toBe('Egyptian cat');
    expect((results.nine as unknown as Classes).classes[0]!.id).toBe(9);
    expect((results.nine as unknown as Classes).engine).toBe('litert-wasm+reef');
    const bird = results.bird as { width: number; classes: { id: number; pixels: number }[] };
    expect(bird.width).toBe(513);
    expect(bird.classes.find((c) => c.id === 3)!.pixels).toBeGreaterThan(20_000);
    const squat = results.squat as { poses: { keypoints: { x: number; y: number }[] }[] };
    expect(squat.poses[0]!.keypoints).toHaveLength(17);
    // Nose of the reference CSV: x 0.589, y 0.332 of the 500x610 image.
    expect(Math.abs(squat.poses[0]!.keypoints[0]!.x / 500 - 0.589)).toBeLessThan(0.035);
    expect(Math.abs(squat.poses[0]!.keypoints[0]!.y / 610 - 0.332)).toBeLessThan(0.035);
    const fish = results.fish as { objects: { box: { xmin: number; xmax: number } }[] };
    expect(fish.objects.length).toBeGreaterThan(0);
    for (const o of fish.objects) expect(o.box.xmin).toBeLessThan(o.box.xmax);
  });

  test('typed errors cross the worker boundary, and a failure does not poison the next model', async ({ page }) => {
    await openHarness(page);
    const out = await page.evaluate(async () => {
      const w = window as unknown as {
        reef(method: string, args?: unknown[]): Promise<unknown>;
        fixture(name: string): Promise<Uint8Array>;
        bitmap(name: string): Promise<ImageBitmap>;
      };
      const attempt = async (name: string) => {
        try {
          await w.reef('loadModel', [await w.fixture(name)]);
          return null;
        } catch (e) {
          const error = e as { code?: string; reason?: string; message: string };
          return { code: error.code, reason: error.reason, message: error.message };
        }
      };
      const invoking = await attempt('model_invoking_error.tflite');
      const compiled = await attempt('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
      const info = (await w.reef('loadModel', [await w.fixture('mobilenet_v1_0.25_128_quant.tflite')])) as {
        id: string;
      };
      const after = (await w.reef('runTask', [info.id, await w.bitmap('cat.bmp'), 'classify', { topK: 1 }])) as {
        classes: { label: string }[];
      };
      return { invoking, compiled, after: after.classes[0]!.label };
    });
    expect(out.invoking).toMatchObject({ code: 'UNIMPLEMENTED', reason: 'unsupported-op:fake-op-double' });
    expect(out.invoking!.message).toContain('fake-op-double');
    expect(out.compiled).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'needs-accelerator' });
    expect(out.after).toBe('tiger cat');
  });

  test('outputs equal tfjs-tflite’s in Chromium where tfjs-tflite runs the model', async ({ page }) => {
    test.setTimeout(240_000);
    await openHarness(page);
    const exact: FixtureName[] = [
      'mobilenet_v1_0.25_128_quant.tflite',
      'mobilenet_v1_0.5_160_quant.tflite',
      'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
      'mobilenet_quant_v1_224_head_layers.tflite',
      'movenet_single_pose_lightning_ptq.tflite',
      'split_concat.tflite',
    ];
    // Not compared: DeepLab (tfjs-tflite cannot hand out its INT64 output either); its mask is
    // checked against the reference mask above and in tests/unit/runtime.
    // The fish SSD's post-processing runs as Reef's kernel here and as TFLite's op in tfjs-tflite.
    const kernels: FixtureName[] = ['keras_lstm_mnist_ptq.tflite', 'fish_ssd_detect.tflite'];
    for (const name of [...exact, ...kernels]) {
      const reef = await runInWorker(page, name);
      const oracle = await page.evaluate(async (name) => {
        const w = window as unknown as {
          fixture(name: string): Promise<Uint8Array>;
          pattern(dtype: string, n: number): ArrayLike<number>;
          tflite: {
            setWasmPath(path: string): void;
            loadTFLiteModel(
              model: ArrayBuffer,
              options: object,
            ): Promise<{
              inputs: { shape: number[]; dtype: string }[];
              outputs: { name: string }[];
              predict(input: unknown): unknown;
            }>;
          };
          tf: { tensor(values: ArrayLike<number>, shape: number[], dtype: string): unknown };
        };
        w.tflite.setWasmPath('/__harness/lib/tflite/');
        const bytes = await w.fixture(name);
        const model = await w.tflite.loadTFLiteModel(bytes.slice().buffer, { numThreads: 2 });
        const inputs = model.inputs.map((i) => {
          const n = i.shape.reduce((a, b) => a * b, 1);
          // tfjs has no uint8/int8 dtype: the wrapper takes int32 and narrows to the model's type.
          const data = w.pattern(i.dtype === 'float32' ? 'float32' : name.includes('int8') ? 'int8' : 'uint8', n);
          return w.tf.tensor(Array.from(data), i.shape, i.dtype === 'float32' ? 'float32' : 'int32');
        });
        type Data = { dataSync(): ArrayLike<number> };
        const out = model.predict(inputs.length === 1 ? inputs[0] : inputs) as Data | Data[] | Record<string, Data>;
        const list: Data[] = Array.isArray(out)
          ? out
          : typeof (out as Data).dataSync === 'function'
            ? [out as Data]
            : model.outputs.map((o) => (out as Record<string, Data>)[o.name]!);
        return list.map((t, k) => ({ name: model.outputs[k]?.name ?? '', data: Array.from(t.dataSync(), Number) }));
      }, name);
      expect(oracle.length, name).toBe(reef.outputs.length);
      reef.outputs.forEach((o, k) => {
        // tfjs-tflite may list outputs in another order: match by tensor name when it has them.
        const peer = oracle.find((p) => p.name === o.name)?.data ?? oracle[k]!.data;
        if (name === 'keras_lstm_mnist_ptq.tflite') {
          // Reef's LSTM kernel runs the recurrence in float: same class, scores within a few steps.
          const argmax = (a: number[]) => a.indexOf(Math.max(...a));
          expect(argmax(o.data), name).toBe(argmax(peer));
          return;
        }
        if (name === 'fish_ssd_detect.tflite') {
          // Box decoding in float64 vs TFLite's float32: equal to float32 rounding.
          expect(o.data.length, name).toBe(peer.length);
          o.data.forEach((v, i) => expect(v, `${name} output ${k} [${i}]`).toBeCloseTo(peer[i]!, 5));
          return;
        }
        expect(
          o.data,
          `${name} output ${k} '${o.name}' (tfjs-tflite: ${oracle.map((p) => p.name).join(', ')})`,
        ).toEqual(peer);
      });
    }
  });
});
