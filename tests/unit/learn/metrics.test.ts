/**
 * Honest metrics: the confusion matrix counts held-out samples only, precision and recall come
 * from it, a class with one sample gets an explanation instead of a matrix, and the dataset
 * warnings fire on real embeddings of fixture images (few samples, imbalance, frames held still).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { embedImages } from '../../../src/lib/learn/embeddings.ts';
import { datasetWarnings, heldOutMetrics, nearDuplicateCounts } from '../../../src/lib/learn/metrics.ts';
import { trainTransfer } from '../../../src/lib/learn/pipeline.ts';
import { tf } from '../../../src/lib/learn/tfjs.ts';
import type { LoadedModel } from '../../../src/lib/runtime/index.ts';
import type { RgbaImage } from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { augmentedSet, centerCrop, loadClassImages } from './images.ts';
import { wasmEngine } from './litert-harness.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const LABELS = ['cat', 'bird', 'grace_hopper'];

describe('held-out metrics', () => {
  it('counts a confusion matrix and per-class precision and recall', () => {
    const labels = [0, 0, 0, 1, 1, 2];
    const predicted = [0, 0, 1, 1, 1, 0];
    const m = heldOutMetrics(predicted, labels, 3);
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
    expect(m.count).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6, 10);
    expect(m.perClass[0]).toEqual({ precision: 2 / 3, recall: 2 / 3, support: 3 });
    expect(m.perClass[1]).toEqual({ precision: 2 / 3, recall: 1, support: 2 });
    // Never predicted: precision has no denominator; the page shows a dash, not 0 %.
    expect(m.perClass[2]).toEqual({ precision: null, recall: 0, support: 1 });
  });
});

describe('metrics of a real training run', () => {
  let extractorBytes: Uint8Array;
  let extractor: LoadedModel;
  let sources: RgbaImage[];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    extractorBytes = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    extractor = await wasmEngine().load(extractorBytes);
    sources = await loadClassImages();
  });

  it('the confusion matrix adds up to the held-out split, which training never saw', async () => {
    const set = augmentedSet(sources, 10, 224, 31);
    const { embeddings } = await embedImages(extractor, set.images);
    const data = { classes: LABELS, images: set.images, labels: set.labels };
    const result = await trainTransfer(extractorBytes, null, data, { embeddings, epochs: 10, validationSplit: 0.3 });
    const m = result.metrics;
    expect(m.noSplit).toBeNull();
    // 30 % of 10 per class = 3 a class held out, the other 7 trained on.
    expect(m.heldOut!.count).toBe(9);
    expect(m.heldOut!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(9);
    expect(m.heldOut!.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([3, 3, 3]);
    expect(m.trainCount).toBe(21);
    expect(result.validation.accuracy).toBe(m.heldOut!.accuracy);
    expect(m.heldOut!.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(m.heldOut!.perClass.map((c) => c.support)).toEqual([3, 3, 3]);
  });

  it('a class with one sample gets the explanation instead of a matrix', async () => {
    const set = augmentedSet(sources.slice(0, 2), 4, 224, 32);
    const keep = [0, 1, 2, 3, 4];
    const images = keep.map((i) => set.images[i]!);
    const labels = Int32Array.from(keep, (i) => set.labels[i]!);
    const { embeddings } = await embedImages(extractor, images);
    const result = await trainTransfer(
      extractorBytes,
      null,
      { classes: ['cat', 'bird'], images, labels },
      { embeddings, epochs: 3 },
    );
    expect(result.metrics.heldOut).toBeNull();
    expect(result.validation.accuracy).toBeNull();
    expect(result.metrics.noSplit).toContain('"bird" has only 1 sample');
    expect(result.metrics.trainCount).toBe(5);
  });

  it('warns about few samples, a 5× larger class and the same frame recorded again', async () => {
    const still = centerCrop(sources[0]!, 224, 224);
    const moving = augmentedSet(sources.slice(1, 2), 3, 224, 33).images;
    // Class 0: the same frame 15 times (a camera held still); class 1: three different crops.
    const images = [...Array.from({ length: 15 }, () => still), ...moving];
    const labels = Int32Array.from(images, (_, i) => (i < 15 ? 0 : 1));
    const { embeddings, dim } = await embedImages(extractor, images);
    expect(nearDuplicateCounts(embeddings, dim, labels, 2)).toEqual([14, 0]);
    const warnings = datasetWarnings(['still', 'bird'], labels, embeddings, dim);
    expect(warnings.map((w) => w.kind).sort()).toEqual(['few-samples', 'imbalanced', 'near-duplicates']);
    expect(warnings.find((w) => w.kind === 'few-samples')?.message).toContain('"bird" has only 3 samples');
    expect(warnings.find((w) => w.kind === 'imbalanced')?.message).toContain('"still" has 5.0× more samples');
    expect(warnings.find((w) => w.kind === 'near-duplicates')?.message).toContain('14 of the 15 "still" samples');
    // Different crops of one picture are not duplicates: a balanced, varied dataset is quiet.
    const varied = augmentedSet(sources.slice(0, 2), 12, 224, 34);
    const v = await embedImages(extractor, varied.images);
    expect(datasetWarnings(['cat', 'bird'], varied.labels, v.embeddings, v.dim)).toEqual([]);
  });
});
