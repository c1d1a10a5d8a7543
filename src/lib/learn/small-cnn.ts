/**
 * The offline path: a small CNN trained from scratch on the user's own images (no download at
 * all), built only from layers the full-int8 quantizer and the Edge TPU support.
 */
import { ReefError } from '../errors.ts';
import { seededRandom, shuffled } from './dataset.ts';
import type { EpochProgress } from './head.ts';
import { tf } from './tfjs.ts';

export interface SmallCnnOptions {
  size?: number;
  numClasses: number;
  /** Filters of the first block; doubled per block. */
  width?: number;
  blocks?: number;
  batchNorm?: boolean;
  seed?: number;
}

export function buildSmallCnn(options: SmallCnnOptions): tf.Sequential {
  const size = options.size ?? 32;
  const width = options.width ?? 8;
  const seed = options.seed ?? 1;
  const model = tf.sequential();
  for (let b = 0; b < (options.blocks ?? 3); b++) {
    model.add(
      tf.layers.conv2d({
        ...(b === 0 ? { inputShape: [size, size, 3] } : {}),
        filters: width << b,
        kernelSize: 3,
        padding: 'same',
        useBias: !options.batchNorm,
        activation: options.batchNorm ? 'linear' : 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + b }),
      }),
    );
    if (options.batchNorm) {
      model.add(tf.layers.batchNormalization());
      model.add(tf.layers.reLU({ maxValue: 6 }));
    }
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(
    tf.layers.dense({
      units: options.numClasses,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 99 }),
    }),
  );
  return model;
}

export interface ImageTrainingOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Fixes the sample order (one seeded shuffle, then in order) so a run is reproducible. */
  seed?: number;
  onEpoch?: (progress: EpochProgress) => void;
  signal?: AbortSignal;
}

/** Trains in place on N×H×W×3 float images in [0, 1] with integer labels. */
export async function trainImageModel(
  model: tf.LayersModel,
  images: tf.Tensor4D,
  labels: Int32Array,
  numClasses: number,
  options: ImageTrainingOptions = {},
): Promise<void> {
  const epochs = options.epochs ?? 20;
  const optimizer = tf.train.adam(options.learningRate ?? 0.01);
  model.compile({
    optimizer,
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const order = shuffled([...labels.keys()], seededRandom(options.seed ?? 1));
  const [x, y] = tf.tidy(() => {
    const index = tf.tensor1d(order, 'int32');
    return [
      tf.gather(images, index),
      tf.oneHot(tf.gather(tf.tensor1d(labels, 'int32'), index), numClasses).toFloat(),
    ] as const;
  });
  try {
    await model.fit(x, y, {
      epochs,
      batchSize: options.batchSize ?? 16,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async () => {
          if (options.signal?.aborted) model.stopTraining = true;
        },
        onEpochEnd: async (epoch, logs = {}) => {
          options.onEpoch?.({
            epoch: epoch + 1,
            epochs,
            loss: Number(logs['loss']),
            accuracy: Number(logs['acc']),
            valLoss: undefined,
            valAccuracy: undefined,
          });
        },
      },
    });
  } finally {
    tf.dispose([x, y]);
    // The model does not own an optimizer it was handed: its moment tensors would outlive it.
    optimizer.dispose();
  }
  if (options.signal?.aborted) throw new ReefError('CANCELLED', 'training was cancelled', { reason: 'cancelled' });
}
