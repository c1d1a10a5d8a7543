import { beforeAll, describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  balancedClassWeights,
  chooseActivationParams,
  imprintWeights,
  loadTfjsModel,
  percentileRange,
  predictClasses,
  quantizeBias,
  quantizeWeightsSymmetric,
  saveTfjsModel,
  seededRandom,
  stratifiedSplit,
  tf,
  trainHead,
  WEIGHTS_FILE,
  type EmbeddingSet,
} from '../../../src/lib/learn/index.ts';

/** k well-separated Gaussian clusters in `dim` dimensions. */
function clusters(k: number, perClass: number[], dim: number, seed: number, noise = 1): EmbeddingSet {
  const r = seededRandom(seed);
  const centers = Array.from({ length: k }, () => Float32Array.from({ length: dim }, () => r() * 4 - 2));
  const n = perClass.reduce((a, b) => a + b, 0);
  const embeddings = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  let i = 0;
  perClass.forEach((count, c) => {
    for (let j = 0; j < count; j++, i++) {
      labels[i] = c;
      for (let d = 0; d < dim; d++) embeddings[i * dim + d] = centers[c]![d]! + (r() - 0.5) * noise;
    }
  });
  return { embeddings, dim, labels, numClasses: k };
}

describe('head training', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('splits every class into train and validation and weights rare classes up', () => {
    const set = clusters(3, [20, 10, 2], 4, 1);
    const { train, validation } = stratifiedSplit(set, 0.2, 7);
    const count = (s: EmbeddingSet, c: number) => s.labels.filter((l) => l === c).length;
    expect([0, 1, 2].map((c) => count(validation!, c))).toEqual([4, 2, 1]);
    expect([0, 1, 2].map((c) => count(train, c))).toEqual([16, 8, 1]);
    const w = balancedClassWeights(set);
    expect(w[2]! / w[0]!).toBeCloseTo(10, 6);
  });

  it('trains on every sample when the held-out part would be too small to mean anything', async () => {
    // 2 per class: a 20 % split would hold out one sample of some classes and early-stop on noise.
    const head = await trainHead(clusters(3, [2, 2, 2], 16, 5), { epochs: 40, learningRate: 0.05, seed: 3 });
    expect(head.validationAccuracy).toBeUndefined();
    expect(head.trainAccuracy).toBe(1);
    head.model.dispose();
  });

  it('learns separable classes and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const head = await trainHead(clusters(4, [30, 30, 30, 30], 32, 2), { epochs: 20, learningRate: 0.05, seed: 3 });
    expect(head.trainAccuracy).toBe(1);
    expect(head.validationAccuracy).toBe(1);
    head.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops early once validation loss stops improving and keeps the best epoch', async () => {
    const before = tf.memory().numTensors;
    // Overlapping classes in many dimensions: the head overfits and validation loss turns up.
    const set = clusters(3, [20, 20, 20], 64, 9, 12);
    const head = await trainHead(set, { epochs: 300, patience: 4, learningRate: 0.05, hiddenUnits: 32, seed: 3 });
    expect(head.stoppedEarly).toBe(true);
    expect(head.history.length).toBe(head.bestEpoch + 4);
    const best = Math.min(...head.history.map((h) => h.valLoss!));
    expect(head.history[head.bestEpoch - 1]!.valLoss).toBe(best);
    expect(head.validationAccuracy).toBeCloseTo(head.history[head.bestEpoch - 1]!.valAccuracy!, 6);
    head.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is cancelled between batches with a CANCELLED ReefError and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const set = clusters(2, [50, 50], 16, 4);
    const promise = trainHead(set, {
      epochs: 50,
      hiddenUnits: 8,
      signal: controller.signal,
      onEpoch: (p) => p.epoch === 2 && controller.abort(),
    });
    await expect(promise).rejects.toMatchObject({ code: 'CANCELLED', reason: 'cancelled' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad datasets by name', async () => {
    const set = clusters(2, [5, 5], 4, 5);
    const reason = async (s: EmbeddingSet) => {
      try {
        await trainHead(s, { epochs: 1 });
      } catch (e) {
        expect(e).toBeInstanceOf(ReefError);
        return (e as ReefError).reason;
      }
      return 'no error';
    };
    expect(await reason({ ...set, embeddings: set.embeddings.subarray(1) })).toBe('bad-embedding-shape');
    expect(await reason({ ...set, numClasses: 3 })).toBe('empty-class');
    expect(await reason({ ...set, numClasses: 1, labels: new Int32Array(10) })).toBe('too-few-classes');
    const nan = Float32Array.from(set.embeddings);
    nan[3] = NaN;
    expect(await reason({ ...set, embeddings: nan })).toBe('non-finite-embedding');
  });

  it('imprints unit-length class means', () => {
    const set: EmbeddingSet = {
      embeddings: new Float32Array([3, 0, 0, 5, 1, 1, 0, 2]),
      dim: 2,
      labels: new Int32Array([0, 0, 1, 1]),
      numClasses: 2,
    };
    // Class 0: mean of (1,0) and (0,1) → (½,½) → (√½, √½). Class 1: (√½,√½) and (0,1).
    const w = imprintWeights(set);
    expect(w[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(w[1]).toBeCloseTo(Math.SQRT1_2, 6);
    const m = [Math.SQRT1_2 / 2, (Math.SQRT1_2 + 1) / 2];
    const norm = Math.hypot(m[0]!, m[1]!);
    expect(w[2]).toBeCloseTo(m[0]! / norm, 6);
    expect(w[3]).toBeCloseTo(m[1]! / norm, 6);
  });

  it('saves the head as model.json + weights.bin and loads it back with the same predictions', async () => {
    const before = tf.memory().numTensors;
    const set = clusters(3, [10, 10, 10], 8, 6);
    const head = await trainHead(set, { epochs: 5, hiddenUnits: 4 });
    const files = await saveTfjsModel(head.model);
    const json = JSON.parse(files.modelJson) as { weightsManifest: { paths: string[] }[] };
    expect(json.weightsManifest[0]!.paths).toEqual([WEIGHTS_FILE]);
    expect(files.weights.length).toBe((8 * 4 + 4 + 4 * 3 + 3) * 4);
    const loaded = await loadTfjsModel(files.modelJson, async () => files.weights);
    expect(predictClasses(loaded, set.embeddings, 8)).toEqual(predictClasses(head.model, set.embeddings, 8));
    loaded.dispose();
    head.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(loadTfjsModel('{', async () => new Uint8Array())).rejects.toMatchObject({ reason: 'bad-model-json' });
  });
});

describe('quantization arithmetic', () => {
  it('keeps zero exact and covers the range', () => {
    const p = chooseActivationParams(-1, 3, 'int8');
    expect(p.scale).toBeCloseTo(4 / 255, 9);
    expect(-128 + Math.round(1 / p.scale)).toBe(p.zeroPoint); // real 0 ↔ zero point
    expect(chooseActivationParams(0, 6, 'uint8')).toEqual({ scale: 6 / 255, zeroPoint: 0 });
    // Positive-only ranges are widened to include 0.
    expect(chooseActivationParams(2, 4, 'uint8').zeroPoint).toBe(0);
  });

  it('quantizes weights per channel symmetrically and biases at input × weight scale', () => {
    const w = new Float32Array([1, -2, 0.5, 0.25, -0.125, 0]); // 2 channels × 3
    const q = quantizeWeightsSymmetric(w, [2, 3], 0);
    expect(q.scales[0]).toBeCloseTo(2 / 127, 9);
    expect(q.scales[1]).toBeCloseTo(0.25 / 127, 9);
    expect(Array.from(q.data)).toEqual([64, -127, 32, 127, -64, 0]);
    expect(Array.from(quantizeBias(new Float32Array([1, 1]), 0.5, q.scales))).toEqual([
      Math.round(1 / (0.5 * (2 / 127))),
      Math.round(1 / (0.5 * (0.25 / 127))),
    ]);
    const per = quantizeWeightsSymmetric(w, [2, 3], undefined);
    expect(per.scales).toEqual([2 / 127]);
  });

  it('clips outliers with a percentile range', () => {
    const values = new Float32Array(1000).map((_, i) => i / 1000);
    values[999] = 100;
    const r = percentileRange(values, 99);
    expect(r.min).toBe(0);
    expect(r.max).toBeLessThan(1);
  });
});
