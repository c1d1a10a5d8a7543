/**
 * A float image classifier for the ladder's WebGPU checks: the shared fixtures are all int8/uint8
 * (Coral's models), and the GPU path is a float path. Built with Reef's model writer from fixed
 * pseudo-random weights, so it is the same file every run: 64×64×3 float → two strided 3×3
 * convolutions with ReLU → mean → 10 logits → softmax.
 */
import { ModelBuilder } from '../../../src/lib/tflite/index.ts';

function weights(count: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = ((state >>> 0) / 0x100000000 - 0.5) * 2 * scale;
  }
  return out;
}

export const FLOAT_CLASSIFIER_NAME = 'reef_float_classifier.tflite';

export function floatClassifier(): Uint8Array {
  const b = new ModelBuilder({ description: 'Reef float classifier (ladder tests)' });
  const image = b.addTensor({ name: 'image', dtype: 'float32', shape: [1, 64, 64, 3] });
  const w1 = b.addTensor({ name: 'conv1/w', dtype: 'float32', shape: [16, 3, 3, 3], data: weights(16 * 27, 1, 0.4) });
  const b1 = b.addTensor({ name: 'conv1/b', dtype: 'float32', shape: [16], data: weights(16, 2, 0.1) });
  const a1 = b.addTensor({ name: 'conv1', dtype: 'float32', shape: [1, 32, 32, 16] });
  b.addOp({
    op: 'CONV_2D',
    inputs: [image, w1, b1],
    outputs: [a1],
    options: { padding: 'SAME', strideW: 2, strideH: 2, fusedActivationFunction: 'RELU' },
  });
  const w2 = b.addTensor({
    name: 'conv2/w',
    dtype: 'float32',
    shape: [32, 3, 3, 16],
    data: weights(32 * 144, 3, 0.15),
  });
  const b2 = b.addTensor({ name: 'conv2/b', dtype: 'float32', shape: [32], data: weights(32, 4, 0.1) });
  const a2 = b.addTensor({ name: 'conv2', dtype: 'float32', shape: [1, 16, 16, 32] });
  b.addOp({
    op: 'CONV_2D',
    inputs: [a1, w2, b2],
    outputs: [a2],
    options: { padding: 'SAME', strideW: 2, strideH: 2, fusedActivationFunction: 'RELU' },
  });
  const axes = b.addTensor({ name: 'axes', dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) });
  const pooled = b.addTensor({ name: 'pooled', dtype: 'float32', shape: [1, 32] });
  b.addOp({ op: 'MEAN', inputs: [a2, axes], outputs: [pooled], options: { keepDims: false } });
  const w3 = b.addTensor({ name: 'fc/w', dtype: 'float32', shape: [10, 32], data: weights(320, 5, 1) });
  const b3 = b.addTensor({ name: 'fc/b', dtype: 'float32', shape: [10], data: weights(10, 6, 0.1) });
  const logits = b.addTensor({ name: 'logits', dtype: 'float32', shape: [1, 10] });
  b.addOp({ op: 'FULLY_CONNECTED', inputs: [pooled, w3, b3], outputs: [logits] });
  const scores = b.addTensor({ name: 'scores', dtype: 'float32', shape: [1, 10] });
  b.addOp({ op: 'SOFTMAX', inputs: [logits], outputs: [scores] });
  b.setInputs([image]);
  b.setOutputs([scores]);
  return b.toBytes();
}
