/**
 * Reef's WASM engine in Node on the fixture models: the checks (labels, LSTM, DeepLab mask,
 * MoveNet reference, SSD boxes), typed errors before anything runs, and recovery after LiteRT fails.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import type { LoadedModel, TensorArray } from '../../../src/lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { WasmEngine } from '../../../src/lib/runtime/index.ts';
import {
  classGrid,
  classify,
  decodeBmp,
  decodePoses,
  detect,
  imageToTensor,
  maskForImage,
  type Labels,
} from '../../../src/lib/tasks/index.ts';
import { fixtureNames, readFixture, readFixtureText, type FixtureName } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage, fixtureLabels } from './support.ts';

const engine = cpuEngine();
afterAll(() => engine.dispose());

async function load(name: FixtureName): Promise<LoadedModel> {
  return engine.load(await readFixture(name));
}

async function topClasses(model: LoadedModel, image: FixtureName, labels: Labels, k = 3): Promise<string[]> {
  const prepared = imageToTensor(await fixtureImage(image), model.inputs[0]!);
  const result = await model.run([prepared.data]);
  return classify(result.outputs[0]!, { topK: k, labels }).map((c) => c.label);
}

describe('WasmEngine: classification', () => {
  it('cat.bmp: 0.25/128 says tiger cat, 0.5/160 Egyptian cat', async () => {
    const labels = await fixtureLabels('imagenet_labels.txt');
    const small = await load('mobilenet_v1_0.25_128_quant.tflite');
    expect(small.engine).toBe('litert-wasm');
    expect(small.device).toBe('cpu');
    expect(small.inputs[0]).toMatchObject({
      dtype: 'uint8',
      shape: [1, 128, 128, 3],
      scale: 0.0078125,
      zeroPoint: 128,
    });
    expect((await topClasses(small, 'cat.bmp', labels))[0]).toBe('tiger cat');
    const medium = await load('mobilenet_v1_0.5_160_quant.tflite');
    expect((await topClasses(medium, 'cat.bmp', labels))[0]).toBe('Egyptian cat');
    small.dispose();
    medium.dispose();
  });

  it('grace_hopper.bmp: "military uniform" in the top 3 of MobileNet 224 (extractor → head)', async () => {
    const labels = await fixtureLabels('imagenet_labels.txt');
    const extractor = await load('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    const head = await load('mobilenet_quant_v1_224_head_layers.tflite');
    const prepared = imageToTensor(await fixtureImage('grace_hopper.bmp'), extractor.inputs[0]!);
    const embedding = await extractor.run([prepared.data]);
    expect(embedding.outputs[0]!.shape).toEqual([1, 1, 1, 1024]);
    const scores = await head.run([embedding.outputs[0]!.data]);
    const top = classify(scores.outputs[0]!, { topK: 3, labels }).map((c) => c.label);
    expect(top).toContain('military uniform');
  });

  it('keras LSTM (variable tensors → Reef kernel) classifies mnist_nine.bmp as 9', async () => {
    const model = await load('keras_lstm_mnist_ptq.tflite');
    expect(model.engine).toBe('litert-wasm+reef');
    const prepared = imageToTensor(await fixtureImage('mnist_nine.bmp'), model.inputs[0]!);
    const result = await model.run([prepared.data]);
    const [best] = classify(result.outputs[0]!, { topK: 1 });
    expect(best!.id).toBe(9);
    expect(best!.score).toBeGreaterThan(0.9);
  });
});

describe('WasmEngine: detection, segmentation, pose', () => {
  it('fish SSD runs end to end with the Reef post-processing kernel; boxes are sane', async () => {
    const model = await load('fish_ssd_detect.tflite');
    expect(model.engine).toBe('litert-wasm+reef');
    // The file leaves these shapes empty; the kernel fills them from its options (10 detections).
    expect(model.outputs.map((o) => o.shape)).toEqual([[1, 10, 4], [1, 10], [1, 10], [1]]);
    const image = await fixtureImage('bird.bmp');
    const prepared = imageToTensor(image, model.inputs[0]!, { fit: 'letterbox' });
    const result = await model.run([prepared.data]);
    const count = Number(result.outputs[3]!.data[0]);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(10);
    const boxes = result.outputs[0]!.data as Float32Array;
    for (let i = 0; i < count; i++) {
      const [ymin, xmin, ymax, xmax] = boxes.subarray(i * 4, i * 4 + 4);
      expect(ymin!).toBeLessThan(ymax!);
      expect(xmin!).toBeLessThan(xmax!);
      expect(ymin!).toBeGreaterThan(-0.5);
      expect(ymax!).toBeLessThan(1.5);
    }
    const objects = detect(result.outputs, {
      threshold: 0,
      region: prepared.region,
      imageWidth: image.width,
      imageHeight: image.height,
      labels: await fixtureLabels('fish_ssd_labels.txt'),
    });
    expect(objects).toHaveLength(count);
    for (const o of objects) {
      expect(['ClownFish', 'roses']).toContain(o.label);
      expect(o.score).toBeGreaterThanOrEqual(0);
      expect(o.score).toBeLessThanOrEqual(1);
      expect(o.box.xmax).toBeLessThanOrEqual(image.width);
      expect(o.box.ymax).toBeLessThanOrEqual(image.height);
    }
  });

  it('DeepLab (INT64 ARG_MAX → INT32 in LiteRT, widened): bird mask agrees with the reference on ≥ 95 % of pixels', async () => {
    const model = await load('deeplabv3_mnv2_dm05_pascal_quant.tflite');
    expect(model.engine).toBe('litert-wasm');
    const image = await fixtureImage('bird_segmentation.bmp');
    const prepared = imageToTensor(image, model.inputs[0]!);
    const result = await model.run([prepared.data]);
    expect(result.outputs[0]!.dtype).toBe('int64');
    const mask = maskForImage(classGrid(result.outputs[0]!), prepared.region, image.width, image.height);
    // The reference is an 8-bit palette BMP whose palette index is the PASCAL class id (3 = bird).
    const truth = decodeBmp(await readFixture('bird_segmentation_mask.bmp'));
    let agree = 0;
    let bird = 0;
    for (let i = 0; i < mask.classes.length; i++) {
      if (mask.classes[i] === truth.indices![i]) agree++;
      if (mask.classes[i] === 3) bird++;
    }
    expect(agree / mask.classes.length).toBeGreaterThanOrEqual(0.95);
    expect(bird).toBeGreaterThan(20_000);
  });

  it('MoveNet on squat.bmp matches the reference CSV', async () => {
    const model = await load('movenet_single_pose_lightning_ptq.tflite');
    const image = await fixtureImage('squat.bmp');
    const prepared = imageToTensor(image, model.inputs[0]!);
    const result = await model.run([prepared.data]);
    const [pose] = decodePoses(result.outputs, { region: prepared.region, inputWidth: 192, inputHeight: 192 });
    const rows = (await readFixtureText('movenet_single_pose_lightning_ptq_reference.csv'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    expect(rows).toHaveLength(17);
    let scoreError = 0;
    for (const [, , k, score, x, y] of rows as [number, number, number, number, number, number][]) {
      const p = pose!.keypoints[k]!;
      // Coordinates within 3.5 % of the image. Keypoint scores of this PTQ model move by whole
      // quantization steps with tiny input changes (resize, kernel rounding), so only their mean is held.
      expect(Math.abs(p.x / image.width - x)).toBeLessThan(0.035);
      expect(Math.abs(p.y / image.height - y)).toBeLessThan(0.035);
      scoreError += Math.abs(p.score - score);
    }
    expect(scoreError / 17).toBeLessThan(0.2);
  });
});

describe('WasmEngine: never a silent wrong answer', () => {
  it('model_invoking_error.tflite → typed error naming fake-op-double, at load', async () => {
    const error = await load('model_invoking_error.tflite').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).code).toBe('UNIMPLEMENTED');
    expect((error as ReefError).reason).toBe('unsupported-op:fake-op-double');
    expect((error as ReefError).message).toContain('fake-op-double');
  });

  it('a compiled model without an accelerator → typed error; with its CPU twin → the twin runs and says so', async () => {
    const compiled = await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const error = await engine.load(compiled).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).code).toBe('FAILED_PRECONDITION');
    expect((error as ReefError).reason).toBe('needs-accelerator');
    expect((error as ReefError).message).toContain('edgetpu-custom-op');
    const twin = await engine.load(compiled, { cpuTwin: await readFixture('mobilenet_v1_0.25_128_quant.tflite') });
    expect(twin.engine).toBe('litert-wasm (cpu twin)');
    const labels = await fixtureLabels('imagenet_labels.txt');
    expect((await topClasses(twin, 'cat.bmp', labels))[0]).toBe('tiger cat');
  });

  it('wrong input sizes and types are typed errors', async () => {
    const model = await load('mobilenet_v1_0.25_128_quant.tflite');
    await expect(model.run([new Uint8Array(10)])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'input-shape',
    });
    await expect(model.run([new Float32Array(128 * 128 * 3)])).rejects.toMatchObject({ reason: 'input-shape' });
    await expect(model.run([])).rejects.toMatchObject({ reason: 'input-count' });
  });

  it('after LiteRT fails (fish SSD with its post-processing left to LiteRT) the next model is correct', async () => {
    const raw = new WasmEngine(nodeLiteRtLoader, { kernels: [] });
    const fish = await raw.load(await readFixture('fish_ssd_detect.tflite'));
    await expect(fish.run([new Uint8Array(300 * 300 * 3).fill(128)])).rejects.toMatchObject({
      code: 'INTERNAL',
      reason: 'litert-failed',
    });
    const good = await raw.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    const labels = await fixtureLabels('imagenet_labels.txt');
    expect((await topClasses(good, 'cat.bmp', labels))[0]).toBe('tiger cat');
    raw.dispose();
  });
});

describe('WasmEngine: multi-input, multi-output', () => {
  it('split_concat: each output is the right channel of the concatenated inputs, in the model’s output order', async () => {
    const model = await load('split_concat.tflite');
    // Channel c of the concatenation holds the value 10 + c.
    const input1 = new Uint8Array(192).map((_, i) => 10 + (i % 3));
    const rnn1 = new Uint8Array(64).fill(13);
    const rnn2 = new Uint8Array(128).map((_, i) => 14 + (i % 2));
    const { outputs } = await model.run([input1, rnn1, rnn2]);
    expect(outputs.map((o) => o.name)).toEqual([
      'concat/split0',
      'concat/split2',
      'concat/split4',
      'outputs/rnn1',
      'outputs/rnn2',
    ]);
    // SPLIT's outputs are tensors 4..9 = channels 0..5; the model lists them as 4, 6, 8, 5, then CONCAT(7, 9).
    expect(outputs.slice(0, 4).map((o) => o.data[0])).toEqual([10, 12, 14, 11]);
    expect([...outputs[4]!.data.subarray(0, 4)]).toEqual([13, 15, 13, 15]);
  });
});

describe('WasmEngine: every CPU fixture model runs in Node', () => {
  const models = fixtureNames(
    (name) => name.endsWith('.tflite') && !name.includes('edgetpu') && name !== 'model_invoking_error.tflite',
  );
  it.each(models)('%s', async (name) => {
    const model = await load(name);
    const inputs: TensorArray[] = model.inputs.map((info) => {
      const n = info.shape.reduce((a, b) => a * b, 1);
      const data = info.dtype === 'float32' ? new Float32Array(n) : new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (i * 7) % 251;
      return data;
    });
    const result = await model.run(inputs);
    expect(result.outputs).toHaveLength(model.outputs.length);
    result.outputs.forEach((o, i) => {
      expect(o.data.length).toBe(o.shape.reduce((a, b) => a * b, 1));
      expect(o.shape).toEqual(model.outputs[i]!.shape);
    });
    model.dispose();
  });
});
