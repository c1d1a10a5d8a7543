/**
 * The classification head trained on embeddings: Dense softmax, optionally after one hidden ReLU
 * layer. Adam, stratified validation split, early stopping that restores the best weights,
 * class balancing, one progress event per epoch, cancellable between batches.
 */
import { ReefError } from '../errors.ts';
import {
  balancedClassWeights,
  isUsefulValidationSize,
  stratifiedSplit,
  validateSet,
  type EmbeddingSet,
} from './dataset.ts';
import { tf } from './tfjs.ts';

export interface HeadArchitecture {
  inputDim: number;
  numClasses: number;
  /** Units of the optional hidden ReLU layer; 0 or undefined = linear softmax classifier. */
  hiddenUnits?: number;
  seed?: number;
}

export interface HeadTrainingOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  hiddenUnits?: number;
  /** Fraction of each class held out for validation (0 = none). */
  validationSplit?: number;
  /** An explicit validation set (then `set` is all training data and no split is made). */
  validation?: EmbeddingSet;
  /** Epochs without a validation-loss improvement before stopping (0 = never stop early). */
  patience?: number;
  balanceClasses?: boolean;
  seed?: number;
  onEpoch?: (progress: EpochProgress) => void;
  signal?: AbortSignal;
}

export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss: number | undefined;
  valAccuracy: number | undefined;
}

export interface TrainedHead {
  model: tf.LayersModel;
  history: EpochProgress[];
  /** Accuracy of the returned weights on the training part. */
  trainAccuracy: number;
  /** Accuracy of the returned weights on the validation part, when there is one. */
  validationAccuracy: number | undefined;
  bestEpoch: number;
  stoppedEarly: boolean;
}

export function buildHead(arch: HeadArchitecture): tf.Sequential {
  const seed = arch.seed ?? 1;
  const model = tf.sequential();
  if (arch.hiddenUnits) {
    model.add(
      tf.layers.dense({
        inputShape: [arch.inputDim],
        units: arch.hiddenUnits,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed }),
        name: 'hidden',
      }),
    );
  }
  model.add(
    tf.layers.dense({
      ...(arch.hiddenUnits ? {} : { inputShape: [arch.inputDim] }),
      units: arch.numClasses,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      name: 'logits',
    }),
  );
  return model;
}

function tensorsOf(set: EmbeddingSet): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.tensor2d(set.embeddings, [set.labels.length, set.dim]),
    y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), set.numClasses).toFloat() as tf.Tensor2D,
  }));
}

/** Top-1 accuracy of `model` on `set` (0..1). */
export function accuracy(model: tf.LayersModel, set: EmbeddingSet): number {
  if (set.labels.length === 0) return 0;
  const predicted = predictClasses(model, set.embeddings, set.dim);
  let correct = 0;
  predicted.forEach((p, i) => (correct += p === set.labels[i] ? 1 : 0));
  return correct / set.labels.length;
}

/** Top-1 class per row of n × dim embeddings. */
export function predictClasses(model: tf.LayersModel, embeddings: Float32Array, dim: number): Int32Array {
  const n = embeddings.length / dim;
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(embeddings, [n, dim])) as tf.Tensor;
    return new Int32Array(out.argMax(-1).dataSync());
  });
}

function cancelled(): ReefError {
  return new ReefError('CANCELLED', 'training was cancelled', { reason: 'cancelled' });
}

export async function trainHead(set: EmbeddingSet, options: HeadTrainingOptions = {}): Promise<TrainedHead> {
  validateSet(set);
  const epochs = options.epochs ?? 30;
  const seed = options.seed ?? 1;
  const patience = options.patience ?? 5;
  if (options.signal?.aborted) throw cancelled();
  const split = options.validation
    ? { train: set, validation: options.validation }
    : stratifiedSplit(set, options.validationSplit ?? 0.2, seed);
  const tooSmall =
    !options.validation &&
    split.validation !== undefined &&
    !isUsefulValidationSize(split.validation.labels.length, set.numClasses);
  const { train, validation } = tooSmall ? { train: set, validation: undefined } : split;
  const model = buildHead({
    inputDim: set.dim,
    numClasses: set.numClasses,
    hiddenUnits: options.hiddenUnits ?? 0,
    seed,
  });
  const optimizer = tf.train.adam(options.learningRate ?? 0.001);
  model.compile({
    optimizer,
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const trainTensors = tensorsOf(train);
  const valTensors = validation ? tensorsOf(validation) : undefined;
  const history: EpochProgress[] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let stoppedEarly = false;
  const keepBest = (epoch: number, loss: number) => {
    best?.weights.forEach((w) => w.dispose());
    best = { loss, epoch, weights: model.getWeights().map((w) => w.clone()) };
  };
  try {
    await model.fit(trainTensors.x, trainTensors.y, {
      epochs,
      batchSize: options.batchSize ?? 32,
      shuffle: true,
      verbose: 0,
      ...(valTensors ? { validationData: [valTensors.x, valTensors.y] as [tf.Tensor, tf.Tensor] } : {}),
      ...(options.balanceClasses === false ? {} : { classWeight: Object.assign({}, balancedClassWeights(train)) }),
      callbacks: {
        onBatchEnd: async () => {
          if (options.signal?.aborted) model.stopTraining = true;
        },
        onEpochEnd: async (epoch, logs = {}) => {
          const progress: EpochProgress = {
            epoch: epoch + 1,
            epochs,
            loss: Number(logs['loss']),
            accuracy: Number(logs['acc']),
            valLoss: valTensors ? Number(logs['val_loss']) : undefined,
            valAccuracy: valTensors ? Number(logs['val_acc']) : undefined,
          };
          history.push(progress);
          options.onEpoch?.(progress);
          const monitored = progress.valLoss ?? progress.loss;
          if (!best || monitored < best.loss) keepBest(epoch + 1, monitored);
          else if (patience > 0 && epoch + 1 - best.epoch >= patience) {
            stoppedEarly = true;
            model.stopTraining = true;
          }
          if (options.signal?.aborted) model.stopTraining = true;
        },
      },
    });
    if (options.signal?.aborted) throw cancelled();
    if (best) model.setWeights(best.weights);
    return {
      model,
      history,
      trainAccuracy: accuracy(model, train),
      validationAccuracy: validation ? accuracy(model, validation) : undefined,
      bestEpoch: best?.epoch ?? epochs,
      stoppedEarly,
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    // The model does not own an optimizer it was handed: its moment tensors would outlive it.
    optimizer.dispose();
    best?.weights.forEach((w) => w.dispose());
    tf.dispose([trainTensors.x, trainTensors.y]);
    if (valTensors) tf.dispose([valTensors.x, valTensors.y]);
  }
}
