import { beforeAll, describe, expect, it, vi } from 'vitest';

// Training and WASM inference share 2 cores with the rest of the suite: allow for a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
import { rgbBytes } from '../../../src/lib/learn/augment.ts';
import { emitModel } from '../../../src/lib/learn/emit.ts';
import { checkEdgeTpuCompatibility, readModel } from '../../../src/lib/tflite/index.ts';
import { trainSmallCnnModel } from '../../../src/lib/learn/pipeline.ts';
import { quantizeLayersModel } from '../../../src/lib/learn/ptq/quantize.ts';
import { buildSmallCnn, trainImageModel } from '../../../src/lib/learn/small-cnn.ts';
import { tf } from '../../../src/lib/learn/tfjs.ts';
import { augmentedSet, loadClassImages, type ImageSet } from './images.ts';
import { argMax, loadLiteRtModel, topIncludes } from './litert-harness.ts';

const SIZE = 16;

function toTensor(set: ImageSet): tf.Tensor4D {
  const data = new Float32Array(set.images.length * SIZE * SIZE * 3);
  set.images.forEach((image, i) =>
    data.set(
      Float32Array.from(rgbBytes(image), (v) => v / 255),
      i * SIZE * SIZE * 3,
    ),
  );
  return tf.tensor4d(data, [set.images.length, SIZE, SIZE, 3]);
}

describe('full-int8 post-training quantization', () => {
  let train: ImageSet;
  let heldOut: ImageSet;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const sources = await loadClassImages();
    train = augmentedSet(sources, 24, SIZE, 1);
    heldOut = augmentedSet(sources, 40, SIZE, 2);
  });

  it('a small CNN with BatchNorm, ReLU6 and pooling agrees with its float self on ≥ 99% of held-out crops', async () => {
    const before = tf.memory().numTensors;
    const model = buildSmallCnn({ numClasses: 3, size: SIZE, batchNorm: true, width: 6, blocks: 2 });
    const x = toTensor(train);
    await trainImageModel(model, x, train.labels, 3, { epochs: 16 });
    const { spec, report } = quantizeLayersModel(model, x, { io: 'uint8', inputRange: { min: 0, max: 1 } });
    x.dispose();
    expect(report.folded.filter((name) => name.startsWith('batch_normalization')).length).toBe(2);
    expect(report.foldingError).toBeLessThan(1e-3);
    expect(report.ops).toEqual({ QUANTIZE: 2, CONV_2D: 2, MAX_POOL_2D: 2, MEAN: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
    // QUANTIZE only at the edges: first and last op.
    expect(spec.operators[0]!.op).toBe('QUANTIZE');
    expect(spec.operators.at(-1)!.op).toBe('QUANTIZE');
    const input = spec.tensors[spec.inputs[0]!]!;
    expect(input.dtype).toBe('uint8');
    expect(input.quant!.scale[0]).toBeCloseTo(1 / 255, 8);
    expect(input.quant!.zeroPoint[0]).toBe(0);
    const conv = spec.tensors.find((t) => t.name.endsWith('/weights') && t.shape.length === 4)!;
    expect(conv.dtype).toBe('int8');
    expect(conv.quant!.scale.length).toBe(conv.shape[0]);

    const bytes = emitModel(spec);
    const compatibility = checkEdgeTpuCompatibility(readModel(bytes));
    expect(compatibility.unsupported).toEqual([]);
    expect(compatibility.compatible).toBe(true);
    const lite = await loadLiteRtModel(bytes);
    const floatTop = tf.tidy(() => {
      const t = toTensor(heldOut);
      return (model.predict(t) as tf.Tensor).argMax(-1).dataSync();
    });
    let agree = 0;
    let correct = 0;
    for (let i = 0; i < heldOut.images.length; i++) {
      const scores = await lite.run(rgbBytes(heldOut.images[i]!));
      if (topIncludes(scores, floatTop[i]!)) agree++;
      if (argMax(scores) === heldOut.labels[i]) correct++;
    }
    lite.delete();
    model.dispose();
    const n = heldOut.images.length;
    console.log(`PTQ agreement ${agree}/${n}, int8 accuracy ${correct}/${n}`);
    expect(agree / n).toBeGreaterThanOrEqual(0.99);
    expect(correct / n).toBeGreaterThan(0.6);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('PTQ op coverage', () => {
  it('quantizes a functional model with depthwise, Add, Concatenate, average pooling, Flatten and Dense (int8 I/O, percentile)', async () => {
    await tf.setBackend('cpu');
    const sources = await loadClassImages();
    const train = augmentedSet(sources, 16, SIZE, 3);
    const heldOut = augmentedSet(sources, 20, SIZE, 4);
    const before = tf.memory().numTensors;
    const input = tf.input({ shape: [SIZE, SIZE, 3] });
    const stem = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu6' }).apply(input);
    const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 1 }).apply(stem);
    const bn = tf.layers.batchNormalization().apply(dw);
    const relu = tf.layers.reLU().apply(bn);
    const sum = tf.layers.add().apply([relu as tf.SymbolicTensor, stem as tf.SymbolicTensor]);
    const act = tf.layers.activation({ activation: 'relu' }).apply(sum);
    const strided = tf.layers
      .conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
      .apply(act);
    const pooled = tf.layers.averagePooling2d({ poolSize: 2 }).apply(act);
    const joined = tf.layers.concatenate().apply([strided as tf.SymbolicTensor, pooled as tf.SymbolicTensor]);
    const small = tf.layers.maxPooling2d({ poolSize: 2 }).apply(joined);
    const flat = tf.layers.flatten().apply(small);
    const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(flat);
    const dropped = tf.layers.dropout({ rate: 0.1 }).apply(hidden);
    const logits = tf.layers.dense({ units: 3 }).apply(dropped);
    const probs = tf.layers.softmax().apply(logits) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: probs });
    const x = toTensor(train);
    await trainImageModel(model, x, train.labels, 3, { epochs: 5 });
    const { spec, report } = quantizeLayersModel(model, x, { io: 'int8', calibration: { percentile: 99.99 } });
    x.dispose();
    expect(report.foldingError).toBeLessThan(1e-3);
    expect(report.ops).toEqual({
      CONV_2D: 2,
      DEPTHWISE_CONV_2D: 1,
      ADD: 1,
      AVERAGE_POOL_2D: 1,
      CONCATENATION: 1,
      MAX_POOL_2D: 1,
      RESHAPE: 1,
      FULLY_CONNECTED: 2,
      SOFTMAX: 1,
    });
    // Concatenation inputs share the output's parameters (TFLite's int8 kernel requires it).
    const concat = spec.operators.find((o) => o.op === 'CONCATENATION')!;
    const q = (i: number) => JSON.stringify(spec.tensors[i]!.quant);
    expect(concat.inputs.map(q)).toEqual([q(concat.outputs[0]!), q(concat.outputs[0]!)]);
    const dwWeights = spec.tensors[spec.operators.find((o) => o.op === 'DEPTHWISE_CONV_2D')!.inputs[1]!]!;
    expect(dwWeights.quant!.quantizedDimension).toBe(3);
    expect(dwWeights.quant!.scale.length).toBe(6);
    const bytes = emitModel(spec);
    expect(spec.tensors[spec.inputs[0]!]!.dtype).toBe('int8');
    expect(checkEdgeTpuCompatibility(readModel(bytes)).compatible).toBe(true);

    const lite = await loadLiteRtModel(bytes);
    const inParams = spec.tensors[spec.inputs[0]!]!.quant!;
    const floatProbs = tf.tidy(() => (model.predict(toTensor(heldOut)) as tf.Tensor).arraySync() as number[][]);
    let agree = 0;
    let maxDiff = 0;
    for (let i = 0; i < heldOut.images.length; i++) {
      const pixels = rgbBytes(heldOut.images[i]!);
      const q8 = Int8Array.from(pixels, (v) =>
        Math.max(-128, Math.min(127, Math.round(v / 255 / inParams.scale[0]!) + inParams.zeroPoint[0]!)),
      );
      const out = await lite.run(q8);
      const probs = Array.from(out as Int8Array, (v) => (v + 128) / 256);
      if (topIncludes(probs, argMax(floatProbs[i]!))) agree++;
      probs.forEach((p, c) => (maxDiff = Math.max(maxDiff, Math.abs(p - floatProbs[i]![c]!))));
    }
    lite.delete();
    model.dispose();
    console.log(`op-coverage agreement ${agree}/${heldOut.images.length}, max |Δp| ${maxDiff.toFixed(3)}`);
    expect(agree / heldOut.images.length).toBeGreaterThanOrEqual(0.9);
    expect(maxDiff).toBeLessThan(0.15);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('offline path: a small CNN from scratch, quantized, run in WASM', () => {
  it('trains on three fixture images, exports full-int8 TFLite with labels that runs and is Edge-TPU-compatible', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const sources = await loadClassImages();
    const result = await trainSmallCnnModel(
      { classes: ['cat', 'bird', 'person'], images: sources, labels: new Int32Array([0, 1, 2]) },
      { size: SIZE, epochs: 10, augmentCopies: 12 },
    );
    expect(result.compatibility.compatible).toBe(true);
    expect(result.report.ops['QUANTIZE']).toBe(2);
    expect(readModel(result.model).labels).toEqual(['cat', 'bird', 'person']);
    expect(JSON.parse(result.tfjsModel.modelJson).format).toBe('layers-model');
    const lite = await loadLiteRtModel(result.model);
    const { centerCrop } = await import('../../../src/lib/learn/augment.ts');
    let correct = 0;
    for (let c = 0; c < 3; c++)
      if (argMax(await lite.run(rgbBytes(centerCrop(sources[c]!, SIZE, SIZE)))) === c) correct++;
    lite.delete();
    expect(correct).toBeGreaterThanOrEqual(2);
    expect(result.train.accuracy).toBeGreaterThan(0.6);
    expect(tf.memory().numTensors).toBe(before);
  });
});
