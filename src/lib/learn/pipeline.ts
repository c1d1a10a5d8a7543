/**
 * The end-to-end flows the worker and the CLI run: transfer learning on an extractor (backprop or
 * imprinting) producing one composed model, and the offline path (small CNN from scratch →
 * full-int8 TFLite). Inputs are decoded images with class indices; outputs are bytes ready to save.
 */
import { ReefError } from '../errors.ts';
import type { LoadedModel } from '../runtime/index.ts';
import type { RgbaImage } from '../tasks/index.ts';
import { checkEdgeTpuCompatibility, readModel, type CompatibilityReport } from '../tflite/index.ts';
import { augmentMany, centerCrop, rgbBytes, type AugmentOptions } from './augment.ts';
import { composeModel, headInputOf, labelsFile } from './compose.ts';
import { isUsefulValidationSize, stratifiedIndices, subset, type EmbeddingSet } from './dataset.ts';
import { embedImages, type EmbeddingCache } from './embeddings.ts';
import { emitModel } from './emit.ts';
import { headSpec } from './head-spec.ts';
import { accuracy, predictClasses, trainHead, type EpochProgress } from './head.ts';
import { imprintHead } from './imprint.ts';
import { datasetWarnings, heldOutMetrics, splitImpossibleReason, type TrainingMetrics } from './metrics.ts';
import { quantizeLayersModel, type Calibration, type PtqReport } from './ptq/quantize.ts';
import { buildSmallCnn, trainImageModel } from './small-cnn.ts';
import { tf } from './tfjs.ts';
import { saveTfjsModel, type TfjsModelFiles } from './tfjs-io.ts';

export interface LabeledImages {
  classes: string[];
  /** One per label; may be empty when transfer training is given embeddings and no augmented copies. */
  images: RgbaImage[];
  /** Class index per image. */
  labels: Int32Array;
  /** Stable ids per image (sample ids) for the embedding cache. */
  ids?: string[];
}

export type TrainingEvent =
  | { kind: 'embedding'; done: number; total: number }
  | { kind: 'epoch'; progress: EpochProgress }
  | { kind: 'stage'; stage: 'embedding' | 'training' | 'quantizing' | 'composing' | 'done' };

export interface TransferOptions {
  method?: 'backprop' | 'imprint';
  epochs?: number;
  hiddenUnits?: number;
  validationSplit?: number;
  patience?: number;
  learningRate?: number;
  /** Extra augmented copies of each training image (validation images are never augmented). */
  augmentCopies?: number;
  augment?: AugmentOptions;
  seed?: number;
  cache?: EmbeddingCache;
  extractorId?: string;
  /**
   * Embeddings already computed elsewhere (e.g. on the Edge TPU by the accelerator worker), n × dim
   * in image order; then `extractor` may be null unless augmented copies need embedding.
   */
  embeddings?: Float32Array;
  /** The extractor's CPU twin: when given, `cpuModel` is the head composed onto it too. */
  cpuTwin?: Uint8Array;
  onEvent?: (event: TrainingEvent) => void;
  signal?: AbortSignal;
}

export interface TransferResult {
  classes: string[];
  /** Extractor + quantized head + labels, one .tflite. */
  model: Uint8Array;
  /** The same head composed onto the CPU twin (when one was given): runs anywhere in WASM. */
  cpuModel: Uint8Array | null;
  /** The head alone (input = the extractor's output tensor), quantized. */
  headModel: Uint8Array;
  labelsTxt: Uint8Array;
  tfjsHead: TfjsModelFiles;
  train: { accuracy: number };
  validation: { accuracy: number | null };
  /** Held-out confusion matrix, per-class precision/recall, dataset warnings. */
  metrics: TrainingMetrics;
  history: EpochProgress[];
  ms: number;
}

function checkData(data: LabeledImages): void {
  if (data.classes.length < 2)
    throw new ReefError('INVALID_ARGUMENT', 'training needs at least 2 classes', { reason: 'too-few-classes' });
  const counts = new Array<number>(data.classes.length).fill(0);
  for (const l of data.labels) counts[l]!++;
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0)
    throw new ReefError('INVALID_ARGUMENT', `class "${data.classes[empty]}" has no images`, { reason: 'empty-class' });
}

/**
 * `extractor` runs the embeddings (on the Edge TPU or in WASM; null when `options.embeddings`
 * holds them); `extractorBytes` is the model the head is composed onto (the compiled extractor,
 * or the CPU twin itself).
 */
export async function trainTransfer(
  extractorBytes: Uint8Array,
  extractor: LoadedModel | null,
  data: LabeledImages,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const started = performance.now();
  checkData(data);
  const emit = options.onEvent ?? (() => undefined);
  const seed = options.seed ?? 1;
  const numClasses = data.classes.length;
  // The held-out split is never trained on (nor augmented): every number the page reports as
  // accuracy comes from it. Without one, the page says why instead of showing a flattering matrix.
  const fraction = options.validationSplit ?? 0.2;
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of data.labels) counts[l]!++;
  const noSplit =
    fraction <= 0
      ? 'No samples were held out (validation split 0), so there is no honest accuracy or confusion matrix.'
      : splitImpossibleReason(counts, data.classes);
  const { train: trainIdx, validation: valIdx } = noSplit
    ? { train: [...data.labels.keys()], validation: [] }
    : stratifiedIndices(data.labels, numClasses, fraction, seed);
  // Augmented copies are made from training images only, so validation stays honest.
  const copies = options.augmentCopies ?? 0;
  const headInput = headInputOf(readModel(extractorBytes)).input;
  const inputSize = extractor?.inputs[0]?.shape[1] ?? 224;
  if (!extractor && (!options.embeddings || copies > 0))
    throw new ReefError('INVALID_ARGUMENT', 'without an extractor to run, give embeddings and no augmented copies', {
      reason: 'no-extractor',
    });
  // Samples are counted by label: with embeddings given and no augmented copies, the images
  // themselves are never looked at (the worker then skips decoding them).
  const samples = data.labels.length;
  if ((!options.embeddings || copies > 0) && data.images.length !== samples)
    throw new ReefError('INVALID_ARGUMENT', `${data.images.length} images for ${samples} labels`, {
      reason: 'images-labels-mismatch',
    });
  const extraImages: RgbaImage[] = [];
  const extraLabels: number[] = [];
  if (copies > 0)
    for (const i of trainIdx) {
      extraImages.push(...augmentMany(data.images[i]!, copies, inputSize, inputSize, seed * 7919 + i, options.augment));
      for (let k = 0; k < copies; k++) extraLabels.push(data.labels[i]!);
    }

  emit({ kind: 'stage', stage: 'embedding' });
  const total = samples + extraImages.length;
  const dimOut = headInput.shape.reduce((a, b) => a * b, 1);
  if (options.embeddings && options.embeddings.length !== samples * dimOut)
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${options.embeddings.length} embedding values for ${samples} images of ${dimOut}`,
      { reason: 'bad-embedding-shape' },
    );
  const base = options.embeddings
    ? { embeddings: options.embeddings, dim: dimOut }
    : await embedImages(extractor!, data.images, {
        ...(options.cache ? { cache: options.cache } : {}),
        ...(options.extractorId ? { extractorId: options.extractorId } : {}),
        ...(data.ids ? { ids: data.ids } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (done) => emit({ kind: 'embedding', done, total }),
      });
  const extra = !extraImages.length
    ? { embeddings: new Float32Array(0) }
    : await embedImages(extractor!, extraImages, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (done) => emit({ kind: 'embedding', done: samples + done, total }),
      });
  const dim = base.dim;
  const all: EmbeddingSet = { embeddings: base.embeddings, dim, labels: data.labels, numClasses };
  const trainBase = subset(all, trainIdx);
  const trainSet: EmbeddingSet = {
    embeddings: new Float32Array([...trainBase.embeddings, ...extra.embeddings]),
    dim,
    labels: Int32Array.from([...trainBase.labels, ...extraLabels]),
    numClasses,
  };
  const validation = valIdx.length ? subset(all, valIdx) : undefined;

  emit({ kind: 'stage', stage: 'training' });
  let head: tf.LayersModel;
  let history: EpochProgress[] = [];
  if (options.method === 'imprint') {
    head = imprintHead(trainSet);
  } else {
    const trained = await trainHead(trainSet, {
      epochs: options.epochs ?? 30,
      hiddenUnits: options.hiddenUnits ?? 0,
      patience: options.patience ?? 5,
      learningRate: options.learningRate ?? 0.001,
      seed,
      // A handful of held-out samples measures noise: early stopping on it would end training at
      // random, so it then watches the training loss (the samples stay held out all the same).
      ...(validation && isUsefulValidationSize(valIdx.length, numClasses) ? { validation } : { validationSplit: 0 }),
      onEpoch: (progress) => emit({ kind: 'epoch', progress }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    head = trained.model;
    history = trained.history;
  }
  try {
    const trainAccuracy = accuracy(head, trainSet);
    const heldOut = validation
      ? heldOutMetrics(predictClasses(head, validation.embeddings, dim), validation.labels, numClasses)
      : null;
    const validationAccuracy = heldOut ? heldOut.accuracy : null;
    const metrics: TrainingMetrics = {
      trainCount: trainIdx.length,
      trainAccuracy,
      heldOut,
      noSplit,
      warnings: datasetWarnings(data.classes, data.labels, base.embeddings, dim),
    };
    if (options.method === 'imprint' && validation) {
      // Validation measured, imprinting costs nothing: the shipped head uses every sample.
      head.dispose();
      head = imprintHead({
        ...trainSet,
        embeddings: new Float32Array([...trainSet.embeddings, ...validation.embeddings]),
        labels: Int32Array.from([...trainSet.labels, ...validation.labels]),
      });
    }
    emit({ kind: 'stage', stage: 'quantizing' });
    const headModel = emitModel(headSpec(head, headInput, trainSet.embeddings));
    emit({ kind: 'stage', stage: 'composing' });
    const model = composeModel(extractorBytes, head, trainSet.embeddings, { labels: data.classes });
    const cpuModel = options.cpuTwin
      ? composeModel(options.cpuTwin, head, trainSet.embeddings, { labels: data.classes })
      : null;
    const tfjsHead = await saveTfjsModel(head);
    emit({ kind: 'stage', stage: 'done' });
    return {
      classes: [...data.classes],
      model,
      cpuModel,
      headModel,
      labelsTxt: labelsFile(data.classes),
      tfjsHead,
      train: { accuracy: trainAccuracy },
      validation: { accuracy: validationAccuracy },
      metrics,
      history,
      ms: performance.now() - started,
    };
  } finally {
    head.dispose();
  }
}

export interface SmallCnnTrainOptions {
  size?: number;
  epochs?: number;
  augmentCopies?: number;
  io?: 'uint8' | 'int8';
  calibration?: Calibration;
  seed?: number;
  onEvent?: (event: TrainingEvent) => void;
  signal?: AbortSignal;
}

export interface SmallCnnResult {
  classes: string[];
  /** Full-int8 TFLite (uint8 I/O by default): runs in WASM, ready for the Edge TPU compiler. */
  model: Uint8Array;
  labelsTxt: Uint8Array;
  tfjsModel: TfjsModelFiles;
  compatibility: CompatibilityReport;
  report: PtqReport;
  train: { accuracy: number };
  ms: number;
}

/** Images → N×size×size×3 floats in [0, 1] (center crop, or augmented copies). */
export function imageBatch(images: readonly RgbaImage[], size: number): tf.Tensor4D {
  const data = new Float32Array(images.length * size * size * 3);
  images.forEach((image, i) => {
    const px = image.width === size && image.height === size ? image : centerCrop(image, size, size);
    data.set(
      Float32Array.from(rgbBytes(px), (v) => v / 255),
      i * size * size * 3,
    );
  });
  return tf.tensor4d(data, [images.length, size, size, 3]);
}

/** The offline path: no extractor, a small CNN trained from scratch, then full-int8 PTQ. */
export async function trainSmallCnnModel(
  data: LabeledImages,
  options: SmallCnnTrainOptions = {},
): Promise<SmallCnnResult> {
  const started = performance.now();
  checkData(data);
  const emit = options.onEvent ?? (() => undefined);
  const size = options.size ?? 32;
  const seed = options.seed ?? 1;
  const images: RgbaImage[] = [];
  const labels: number[] = [];
  data.images.forEach((image, i) => {
    images.push(centerCrop(image, size, size));
    labels.push(data.labels[i]!);
    for (const copy of augmentMany(image, options.augmentCopies ?? 4, size, size, seed * 7919 + i)) {
      images.push(copy);
      labels.push(data.labels[i]!);
    }
  });
  const x = imageBatch(images, size);
  const y = Int32Array.from(labels);
  const model = buildSmallCnn({ numClasses: data.classes.length, size, batchNorm: true, blocks: 2, width: 8, seed });
  try {
    emit({ kind: 'stage', stage: 'training' });
    await trainImageModel(model, x, y, data.classes.length, {
      epochs: options.epochs ?? 20,
      seed,
      onEpoch: (progress) => emit({ kind: 'epoch', progress }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1).dataSync());
    let correct = 0;
    predicted.forEach((p, i) => (correct += p === y[i] ? 1 : 0));
    emit({ kind: 'stage', stage: 'quantizing' });
    const { spec, report } = quantizeLayersModel(model, x, {
      io: options.io ?? 'uint8',
      inputRange: { min: 0, max: 1 },
      ...(options.calibration ? { calibration: options.calibration } : {}),
      description: `Reef small CNN (${data.classes.length} classes, ${size}×${size})`,
    });
    const bytes = emitModel(spec, { 'labels.txt': labelsFile(data.classes) });
    const labelsTxt = labelsFile(data.classes);
    const tfjsModel = await saveTfjsModel(model);
    emit({ kind: 'stage', stage: 'done' });
    return {
      classes: [...data.classes],
      model: bytes,
      labelsTxt,
      tfjsModel,
      compatibility: checkEdgeTpuCompatibility(readModel(bytes)),
      report,
      train: { accuracy: correct / y.length },
      ms: performance.now() - started,
    };
  } finally {
    x.dispose();
    model.dispose();
  }
}

export interface QuantizeResult {
  model: Uint8Array;
  compatibility: CompatibilityReport;
  report: PtqReport;
  ms: number;
}

/** Full-int8 PTQ of any supported tfjs model on representative inputs, checked for the Edge TPU. */
export function quantizeToTflite(
  model: tf.LayersModel,
  representative: tf.Tensor,
  options: Parameters<typeof quantizeLayersModel>[2] = {},
  labels?: readonly string[],
): QuantizeResult {
  const started = performance.now();
  const { spec, report } = quantizeLayersModel(model, representative, options);
  const bytes = emitModel(spec, labels ? { 'labels.txt': labelsFile(labels) } : undefined);
  return {
    model: bytes,
    compatibility: checkEdgeTpuCompatibility(readModel(bytes)),
    report,
    ms: performance.now() - started,
  };
}
