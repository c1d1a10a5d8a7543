/**
 * Generators (not files) for models LiteRT or Reef must refuse, built with the project's
 * ModelBuilder: an int8 SOFTMAX whose output zero point LiteRT's kernel rejects, a tiny model whose
 * input claims gigabytes, a model with no inputs.
 */
import { ModelBuilder } from '../../../src/lib/tflite/index.ts';

/** The image-shaped int8 input every generator here uses: [1,1,4,3], a 4-pixel RGB strip. */
const STRIP = [1, 1, 4, 3];

/**
 * in (int8) → SOFTMAX → out (int8). TFLite's int8 SOFTMAX needs output zero point −128 and scale
 * 1/256; any other zero point fails to prepare.
 */
export function softmaxModel(outputZeroPoint: number): Uint8Array {
  const b = new ModelBuilder({ description: `softmax, output zero point ${outputZeroPoint}` });
  const input = b.addTensor({
    name: 'in',
    dtype: 'int8',
    shape: STRIP,
    quantization: { scale: [0.1], zeroPoint: [0] },
  });
  const output = b.addTensor({
    name: 'out',
    dtype: 'int8',
    shape: STRIP,
    quantization: { scale: [1 / 256], zeroPoint: [outputZeroPoint] },
  });
  b.addOp({ op: 'SOFTMAX', inputs: [input], outputs: [output] });
  b.setInputs([input]);
  b.setOutputs([output]);
  return b.toBytes();
}

/**
 * op 0 ARG_MAX (int64 out: a Reef kernel) and op 1 SOFTMAX with a bad zero point (LiteRT, cut out
 * as a sub-model whose only op is its op 0): the error must name op 1, the user's index.
 */
export function argMaxThenBadSoftmax(): Uint8Array {
  const b = new ModelBuilder({ description: 'arg max, then a softmax LiteRT refuses' });
  const input = b.addTensor({
    name: 'in',
    dtype: 'int8',
    shape: STRIP,
    quantization: { scale: [0.1], zeroPoint: [0] },
  });
  const axis = b.addTensor({
    name: 'axis',
    dtype: 'int32',
    shape: [1],
    data: new Uint8Array(new Int32Array([3]).buffer),
  });
  const index = b.addTensor({ name: 'index', dtype: 'int64', shape: [1, 1, 4] });
  const soft = b.addTensor({
    name: 'soft',
    dtype: 'int8',
    shape: STRIP,
    quantization: { scale: [1 / 256], zeroPoint: [3] },
  });
  b.addOp({ op: 'ARG_MAX', inputs: [input, axis], outputs: [index], options: { outputType: 'int64' } });
  b.addOp({ op: 'SOFTMAX', inputs: [input], outputs: [soft] });
  b.setInputs([input]);
  b.setOutputs([soft, index]);
  return b.toBytes();
}

/** A few hundred bytes whose uint8 input claims 1×20000×20000×3 (1.2 G elements). */
export function hugeInputModel(): Uint8Array {
  const b = new ModelBuilder({});
  const shape = [1, 20000, 20000, 3];
  const input = b.addTensor({ name: 'in', dtype: 'uint8', shape });
  const output = b.addTensor({ name: 'out', dtype: 'uint8', shape });
  b.addOp({ op: 'RELU', inputs: [input], outputs: [output] });
  b.setInputs([input]);
  b.setOutputs([output]);
  return b.toBytes();
}

/** A model whose only op adds two constants: no inputs at all. */
export function noInputModel(): Uint8Array {
  const b = new ModelBuilder({});
  const one = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 3], data: one });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 3], data: one.slice() });
  const sum = b.addTensor({ name: 'sum', dtype: 'float32', shape: [1, 3] });
  b.addOp({ op: 'ADD', inputs: [x, y], outputs: [sum] });
  b.setInputs([]);
  b.setOutputs([sum]);
  return b.toBytes();
}
