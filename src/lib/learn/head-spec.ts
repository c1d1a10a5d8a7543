/**
 * A trained float head (Dense layers, last one softmax) as quantized TFLite ops that read the
 * extractor's output tensor as is: FULLY_CONNECTED (+ fused ReLU) … FULLY_CONNECTED → SOFTMAX.
 * Activations take the extractor's output type (uint8 or int8); ranges come from running the float
 * head on calibration embeddings. uint8 kernels need per-tensor asymmetric weights; int8 gets
 * per-channel symmetric weights.
 */
import { ReefError } from '../errors.ts';
import { bytesOf, type ModelSpec, type SpecOp, type SpecTensor } from './model-spec.ts';
import {
  chooseActivationParams,
  quantizeBias,
  quantizeWeightsSymmetric,
  quantizeWeightsUint8,
  type QuantDType,
  type QuantParams,
} from './quant.ts';
import { tf } from './tfjs.ts';

/** The tensor the head is appended to (the extractor's output). */
export interface HeadInput {
  name: string;
  dtype: QuantDType;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

export interface DenseWeights {
  /** in × out, row-major (tfjs layout). */
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
  relu: boolean;
}

/** Reads the Dense layers of a head model; anything else but Dropout is refused by name. */
export function denseLayersOf(model: tf.LayersModel): DenseWeights[] {
  const layers: DenseWeights[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (kind === 'Dropout' || kind === 'InputLayer') continue;
    if (kind !== 'Dense')
      throw new ReefError('UNIMPLEMENTED', `a head layer of type ${kind} cannot be quantized`, {
        reason: 'unsupported-head-layer',
      });
    const config = layer.getConfig();
    const activation = String(config['activation'] ?? 'linear');
    const isLast = layers.length === model.layers.filter((l) => l.getClassName() === 'Dense').length - 1;
    if (!(activation === 'relu' && !isLast) && !(activation === 'softmax' && isLast) && activation !== 'linear')
      throw new ReefError('UNIMPLEMENTED', `head activation ${activation} is not supported here`, {
        reason: 'unsupported-head-activation',
      });
    const [kernel, bias] = layer.getWeights();
    if (!kernel) throw new ReefError('INVALID_ARGUMENT', 'a Dense layer without weights', { reason: 'no-weights' });
    const [inputs, units] = kernel.shape as [number, number];
    layers.push({
      kernel: kernel.dataSync() as Float32Array,
      bias: bias ? (bias.dataSync() as Float32Array) : new Float32Array(units),
      inputs,
      units,
      relu: activation === 'relu',
    });
  }
  if (!layers.length) throw new ReefError('INVALID_ARGUMENT', 'the head has no Dense layer', { reason: 'no-weights' });
  return layers;
}

/** Float pre-softmax outputs of each layer over the calibration rows: [min, max] per layer. */
export function layerRanges(layers: DenseWeights[], embeddings: Float32Array): { min: number; max: number }[] {
  const dim = layers[0]!.inputs;
  return tf.tidy(() => {
    let h: tf.Tensor2D = tf.tensor2d(embeddings, [embeddings.length / dim, dim]);
    return layers.map((layer) => {
      const z = tf.add(tf.matMul(h, tf.tensor2d(layer.kernel, [layer.inputs, layer.units])), layer.bias) as tf.Tensor2D;
      h = layer.relu ? tf.relu(z) : z;
      return { min: h.min().dataSync()[0]!, max: h.max().dataSync()[0]! };
    });
  });
}

function transpose(kernel: Float32Array, inputs: number, units: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < inputs; i++) for (let o = 0; o < units; o++) out[o * inputs + i] = kernel[i * units + o]!;
  return out;
}

/** Softmax output parameters TFLite's quantized kernels insist on. */
export function softmaxOutputParams(dtype: QuantDType): QuantParams {
  return { scale: 1 / 256, zeroPoint: dtype === 'uint8' ? 0 : -128 };
}

/**
 * The head as a standalone model whose tensor 0 is `input`: the composer maps tensor 0 onto the
 * extractor's output and appends the rest.
 */
export function headSpec(
  model: tf.LayersModel,
  input: HeadInput,
  calibration: Float32Array,
  options: { perChannel?: boolean } = {},
): ModelSpec {
  const layers = denseLayersOf(model);
  const dim = layers[0]!.inputs;
  const flat = input.shape.reduce((a, b) => a * b, 1);
  if (flat !== dim)
    throw new ReefError(
      'INVALID_ARGUMENT',
      `the head takes ${dim} values but the extractor output ${input.name} has ${flat}`,
      { reason: 'head-shape-mismatch' },
    );
  const ranges = layerRanges(layers, calibration);
  const dtype = input.dtype;
  const perChannel = dtype === 'int8' && options.perChannel !== false;
  const tensors: SpecTensor[] = [
    {
      name: input.name,
      dtype,
      shape: input.shape,
      quant: { scale: [input.scale], zeroPoint: [input.zeroPoint], quantizedDimension: 0 },
    },
  ];
  const operators: SpecOp[] = [];
  let current = 0;
  let inScale = input.scale;
  layers.forEach((layer, i) => {
    const weights = transpose(layer.kernel, layer.inputs, layer.units);
    const q =
      dtype === 'uint8'
        ? quantizeWeightsUint8(weights)
        : quantizeWeightsSymmetric(weights, [layer.units, layer.inputs], perChannel ? 0 : undefined);
    const bias = quantizeBias(layer.bias, inScale, q.scales);
    const out = chooseActivationParams(ranges[i]!.min, ranges[i]!.max, dtype);
    const last = i === layers.length - 1;
    const prefix = last ? 'reef_head/logits' : `reef_head/hidden_${i}`;
    const w = tensors.push({
      name: `${prefix}/weights`,
      dtype,
      shape: [layer.units, layer.inputs],
      data: bytesOf(q.data),
      quant: { scale: q.scales, zeroPoint: q.zeroPoints, quantizedDimension: 0 },
    });
    const b = tensors.push({
      name: `${prefix}/bias`,
      dtype: 'int32',
      shape: [layer.units],
      data: bytesOf(bias),
      quant: { scale: q.scales.map((s) => s * inScale), zeroPoint: q.scales.map(() => 0), quantizedDimension: 0 },
    });
    const o = tensors.push({
      name: prefix,
      dtype,
      shape: [1, layer.units],
      quant: { scale: [out.scale], zeroPoint: [out.zeroPoint], quantizedDimension: 0 },
    });
    operators.push({
      op: 'FULLY_CONNECTED',
      inputs: [current, w - 1, b - 1],
      outputs: [o - 1],
      activation: layer.relu ? 'RELU' : 'NONE',
    });
    current = o - 1;
    inScale = out.scale;
  });
  const sm = softmaxOutputParams(dtype);
  const units = layers[layers.length - 1]!.units;
  const output = tensors.push({
    name: 'reef_head/probabilities',
    dtype,
    shape: [1, units],
    quant: { scale: [sm.scale], zeroPoint: [sm.zeroPoint], quantizedDimension: 0 },
  });
  operators.push({ op: 'SOFTMAX', inputs: [current], outputs: [output - 1], beta: 1 });
  return { description: 'Reef trained head', tensors, operators, inputs: [0], outputs: [output - 1] };
}
