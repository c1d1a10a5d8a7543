/**
 * Transfer learning on real embeddings: the CPU twin of the Edge TPU embedding extractor runs in
 * WASM on augmented crops of three fixture images; heads are trained (backprop) or imprinted,
 * quantized, composed after the extractor and run again in WASM.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';

// Training and WASM inference share 2 cores with the rest of the suite: allow for a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
import { inspectModel } from '../../../src/lib/edgetpu/executable/index.ts';
import { composeModel } from '../../../src/lib/learn/compose.ts';
import { embedImages, extractorOutput, MemoryEmbeddingCache } from '../../../src/lib/learn/embeddings.ts';
import { emitModel } from '../../../src/lib/learn/emit.ts';
import { headSpec } from '../../../src/lib/learn/head-spec.ts';
import { accuracy, predictClasses, trainHead } from '../../../src/lib/learn/head.ts';
import { imprintHead } from '../../../src/lib/learn/imprint.ts';
import { trainTransfer, type TrainingEvent } from '../../../src/lib/learn/pipeline.ts';
import { tf } from '../../../src/lib/learn/tfjs.ts';
import type { LoadedModel } from '../../../src/lib/runtime/index.ts';
import { imageToTensor } from '../../../src/lib/tasks/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { augmentedSet, loadClassImages, type ImageSet } from './images.ts';
import { topIncludes, wasmEngine } from './litert-harness.ts';

const LABELS = ['cat', 'bird', 'grace_hopper'];
const SIZE = 224;

interface Embedded {
  set: ImageSet;
  embeddings: Float32Array;
  /** The extractor's raw uint8 outputs, row by row. */
  raw: Uint8Array;
}

describe('transfer learning on the MobileNet v1 embedding extractor', () => {
  let extractorBytes: Uint8Array;
  let extractor: LoadedModel;
  let train: Embedded;
  let heldOut: Embedded;

  async function embed(set: ImageSet): Promise<Embedded> {
    const { embeddings } = await embedImages(extractor, set.images);
    const out = extractorOutput(extractor);
    const raw = Uint8Array.from(embeddings, (v) => Math.round(v / out.scale) + out.zeroPoint);
    return { set, embeddings, raw };
  }

  beforeAll(async () => {
    await tf.setBackend('cpu');
    extractorBytes = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    extractor = await wasmEngine().load(extractorBytes);
    const sources = await loadClassImages();
    train = await embed(augmentedSet(sources, 24, SIZE, 11));
    heldOut = await embed(augmentedSet(sources, 12, SIZE, 12));
  });

  it('reads the extractor output the fixture notes describe', () => {
    const out = extractorOutput(extractor);
    expect(out).toMatchObject({ dtype: 'uint8', shape: [1, 1, 1, 1024], zeroPoint: 0 });
    expect(out.scale).toBeCloseTo(0.023528477, 8);
    expect(train.embeddings.length).toBe(72 * 1024);
  });

  it('caches embeddings per sample and extractor', async () => {
    const cache = new MemoryEmbeddingCache();
    const images = heldOut.set.images.slice(0, 2);
    const first = await embedImages(extractor, images, { cache, extractorId: 'x', ids: ['a', 'b'] });
    const second = await embedImages(extractor, images, { cache, extractorId: 'x', ids: ['a', 'b'] });
    expect(first.cached).toBe(0);
    expect(second.cached).toBe(2);
    expect(second.embeddings).toEqual(first.embeddings);
    expect(first.embeddings).toEqual(heldOut.embeddings.subarray(0, 2048));
  });

  it('trains a 3-class head that classifies held-out crops ≥ 90% correctly, reporting each epoch', async () => {
    const before = tf.memory().numTensors;
    const epochs: number[] = [];
    const head = await trainHead(
      { embeddings: train.embeddings, dim: 1024, labels: train.set.labels, numClasses: 3 },
      { epochs: 30, validationSplit: 0.2, patience: 8, onEpoch: (p) => epochs.push(p.epoch) },
    );
    expect(epochs[0]).toBe(1);
    expect(epochs.length).toBe(head.history.length);
    expect(head.history.every((h) => h.valAccuracy !== undefined && Number.isFinite(h.loss))).toBe(true);
    const acc = accuracy(head.model, {
      embeddings: heldOut.embeddings,
      dim: 1024,
      labels: heldOut.set.labels,
      numClasses: 3,
    });
    console.log(`backprop head: held-out accuracy ${acc}, best epoch ${head.bestEpoch}/${head.history.length}`);
    expect(acc).toBeGreaterThanOrEqual(0.9);
    head.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('imprints a head (no training) that classifies held-out crops ≥ 90% correctly', () => {
    const before = tf.memory().numTensors;
    const head = imprintHead({ embeddings: train.embeddings, dim: 1024, labels: train.set.labels, numClasses: 3 });
    const acc = accuracy(head, {
      embeddings: heldOut.embeddings,
      dim: 1024,
      labels: heldOut.set.labels,
      numClasses: 3,
    });
    console.log(`imprinted head: held-out accuracy ${acc}`);
    expect(acc).toBeGreaterThanOrEqual(0.9);
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('composes extractor + quantized head into one model whose top-1 matches the float head', async () => {
    const head = await trainHead(
      { embeddings: train.embeddings, dim: 1024, labels: train.set.labels, numClasses: 3 },
      { epochs: 20, hiddenUnits: 32, validationSplit: 0 },
    );
    const all = new Float32Array([...train.embeddings, ...heldOut.embeddings]);
    const allRaw = new Uint8Array([...train.raw, ...heldOut.raw]);
    const floatTop = predictClasses(head.model, all, 1024);

    // The head alone, on every embedding (train + held-out).
    const headOnly = await wasmEngine().load(
      emitModel(headSpec(head.model, extractorOutput(extractor), train.embeddings)),
    );
    let agree = 0;
    const n = all.length / 1024;
    for (let i = 0; i < n; i++) {
      const out = await headOnly.run([allRaw.subarray(i * 1024, (i + 1) * 1024)]);
      if (topIncludes(out.outputs[0]!.data, floatTop[i]!)) agree++;
    }
    headOnly.dispose();
    console.log(`quantized head agreement ${agree}/${n}`);
    expect(agree / n).toBeGreaterThanOrEqual(0.99);

    // The same head for an int8 extractor output (same real values, zero point −128):
    // per-channel int8 weights, int8 activations.
    const u8 = extractorOutput(extractor);
    const int8Spec = headSpec(head.model, { ...u8, dtype: 'int8', zeroPoint: u8.zeroPoint - 128 }, train.embeddings);
    const weights = int8Spec.tensors[int8Spec.operators[0]!.inputs[1]!]!;
    expect(weights.quant!.scale.length).toBe(32);
    const int8Head = await wasmEngine().load(emitModel(int8Spec));
    let int8Agree = 0;
    for (let i = 0; i < n; i++) {
      const row = Int8Array.from(allRaw.subarray(i * 1024, (i + 1) * 1024), (v) => v - 128);
      const out = await int8Head.run([row]);
      if (topIncludes(out.outputs[0]!.data, floatTop[i]!)) int8Agree++;
    }
    int8Head.dispose();
    console.log(`int8 quantized head agreement ${int8Agree}/${n}`);
    expect(int8Agree / n).toBeGreaterThanOrEqual(0.99);

    // The composed model (CPU twin + head) end to end on held-out images.
    const composed = composeModel(extractorBytes, head.model, train.embeddings, { labels: LABELS });
    const read = readModel(composed);
    expect(read.labels).toEqual(LABELS);
    const ops = read.subgraphs[0]!.operators.map((op) => read.operatorCodes[op.opcodeIndex]!.builtinCode);
    expect(ops.slice(-3)).toEqual([9, 9, 25]); // FULLY_CONNECTED, FULLY_CONNECTED, SOFTMAX
    const model = await wasmEngine().load(composed);
    expect(model.outputs[0]!.shape).toEqual([1, 3]);
    const heldTop = predictClasses(head.model, heldOut.embeddings, 1024);
    let composedAgree = 0;
    for (let i = 0; i < heldOut.set.images.length; i++) {
      const input = imageToTensor(heldOut.set.images[i]!, model.inputs[0]!).data;
      const out = await model.run([input]);
      if (topIncludes(out.outputs[0]!.data, heldTop[i]!)) composedAgree++;
    }
    model.dispose();
    expect(composedAgree / heldOut.set.images.length).toBeGreaterThanOrEqual(0.99);
    head.model.dispose();
  });

  it('composes onto the compiled extractor: one Edge TPU segment, then the head on the CPU', async () => {
    const compiled = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite');
    const head = imprintHead({ embeddings: train.embeddings, dim: 1024, labels: train.set.labels, numClasses: 3 });
    const composed = composeModel(compiled, head, train.embeddings, { labels: LABELS });
    head.dispose();
    const inspection = inspectModel(composed);
    expect(inspection.segments.map((s) => [s.placement, s.ops.length])).toEqual([
      ['tpu', 1],
      ['cpu', 2],
    ]);
    expect(inspection.labels).toEqual(LABELS);
    const read = readModel(composed);
    const names = read.subgraphs[0]!.operators.map((op) => {
      const code = read.operatorCodes[op.opcodeIndex]!;
      return code.customCode ?? code.builtinCode;
    });
    expect(names).toEqual(['edgetpu-custom-op', 9, 25]);
    // The Edge TPU op's package is carried over byte for byte.
    const original = readModel(compiled).subgraphs[0]!.operators[0]!.customOptions!;
    expect(read.subgraphs[0]!.operators[0]!.customOptions).toEqual(original);
  });

  it('runs the whole flow from images: augmentation, embeddings, training, composed model with labels', async () => {
    const before = tf.memory().numTensors;
    const sources = await loadClassImages();
    const few = augmentedSet(sources, 4, SIZE, 21);
    const events: TrainingEvent[] = [];
    const result = await trainTransfer(
      extractorBytes,
      extractor,
      { classes: LABELS, images: few.images, labels: few.labels },
      { epochs: 15, augmentCopies: 2, validationSplit: 0.5, onEvent: (e) => events.push(e) },
    );
    // 12 images: 6 held out for validation (2 a class: fewer would not be held out at all), 6 trained
    // on, each with 2 augmented copies.
    expect(events.filter((e) => e.kind === 'embedding').at(-1)).toEqual({ kind: 'embedding', done: 24, total: 24 });
    expect(events.filter((e) => e.kind === 'epoch').length).toBe(result.history.length);
    expect(events.at(-1)).toEqual({ kind: 'stage', stage: 'done' });
    expect(result.validation.accuracy).not.toBeNull();
    expect(result.train.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(new TextDecoder().decode(result.labelsTxt)).toBe('cat\nbird\ngrace_hopper\n');
    expect(readModel(result.model).labels).toEqual(LABELS);
    const composed = await wasmEngine().load(result.model);
    const out = await composed.run([imageToTensor(sources[1]!, composed.inputs[0]!).data]);
    composed.dispose();
    expect(
      Array.from(out.outputs[0]!.data as Uint8Array).indexOf(Math.max(...(out.outputs[0]!.data as Uint8Array))),
    ).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('imprinting through the same flow, and cancellation before any work', async () => {
    const sources = await loadClassImages();
    const few = augmentedSet(sources, 3, SIZE, 22);
    const data = { classes: LABELS, images: few.images, labels: few.labels };
    const result = await trainTransfer(extractorBytes, extractor, data, { method: 'imprint', validationSplit: 0 });
    expect(result.history).toEqual([]);
    expect(result.validation.accuracy).toBeNull();
    expect(result.train.accuracy).toBe(1);
    const controller = new AbortController();
    controller.abort();
    await expect(trainTransfer(extractorBytes, extractor, data, { signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    await expect(
      trainTransfer(extractorBytes, extractor, { ...data, labels: new Int32Array(data.labels.length) }),
    ).rejects.toMatchObject({ reason: 'empty-class' });
    // Embeddings handed over (from the accelerator worker) and no augmented copies: no pixels needed,
    // so the worker need not decode its samples; the same head comes out.
    const { embeddings } = await embedImages(extractor, few.images);
    const fromEmbeddings = await trainTransfer(
      extractorBytes,
      null,
      { ...data, images: [] },
      { method: 'imprint', validationSplit: 0, embeddings },
    );
    expect(fromEmbeddings.headModel).toEqual(result.headModel);
    await expect(
      trainTransfer(extractorBytes, extractor, { ...data, images: [] }, { method: 'imprint' }),
    ).rejects.toMatchObject({ reason: 'images-labels-mismatch' });
    await expect(
      trainTransfer(extractorBytes, extractor, { ...data, images: [] }, { embeddings, augmentCopies: 1 }),
    ).rejects.toMatchObject({ reason: 'images-labels-mismatch' });
  });
});
