/**
 * ModelSpec → .tflite bytes through the model writer's ModelBuilder. Operator versions are the
 * ones TFLite's converter records for the int8/uint8 kernels used, so the Edge TPU compiler's
 * version check passes.
 */
import { ModelBuilder, writeModel, type OpSpec } from '../tflite/index.ts';
import type { ModelSpec, SpecDType, SpecOp, SpecOpName } from './model-spec.ts';

/** Operator version for the element type of the op's first input. */
export function opVersion(op: SpecOpName, dtype: SpecDType): number {
  const int8 = dtype === 'int8';
  switch (op) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D':
      return int8 ? 3 : 1;
    case 'FULLY_CONNECTED':
      return int8 ? 4 : 1;
    case 'QUANTIZE':
    case 'RESHAPE':
      return 1;
    default:
      return int8 ? 2 : 1;
  }
}

/** The builder's options fields for one op (camelCase fields of the TFLite options table). */
export function builderOptions(op: SpecOp): OpSpec['options'] {
  switch (op.op) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D':
      return {
        padding: op.padding,
        strideW: op.strideW,
        strideH: op.strideH,
        dilationWFactor: op.dilationW,
        dilationHFactor: op.dilationH,
        fusedActivationFunction: op.activation,
        ...(op.op === 'DEPTHWISE_CONV_2D' ? { depthMultiplier: op.depthMultiplier } : {}),
      };
    case 'FULLY_CONNECTED':
      return { fusedActivationFunction: op.activation };
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D':
      return {
        padding: op.padding,
        strideW: op.strideW,
        strideH: op.strideH,
        filterWidth: op.filterW,
        filterHeight: op.filterH,
      };
    case 'MEAN':
      return { keepDims: op.keepDims };
    case 'ADD':
      return { fusedActivationFunction: op.activation };
    case 'CONCATENATION':
      return { axis: op.axis };
    case 'RESHAPE':
      return { newShape: op.newShape };
    case 'SOFTMAX':
      return { beta: op.beta };
    default:
      return undefined;
  }
}

/** Serialises a spec as a one-subgraph TFLite model; `files` (labels.txt) are zipped after it. */
export function emitModel(spec: ModelSpec, files?: Record<string, Uint8Array>): Uint8Array {
  const b = new ModelBuilder({ description: spec.description });
  for (const t of spec.tensors)
    b.addTensor({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      quantization: t.quant ? { ...t.quant } : null,
      ...(t.data ? { data: t.data } : {}),
    });
  for (const op of spec.operators) {
    const options = builderOptions(op);
    b.addOp({
      op: op.op,
      inputs: op.inputs,
      outputs: op.outputs,
      version: opVersion(op.op, spec.tensors[op.inputs[0]!]?.dtype ?? 'float32'),
      ...(options ? { options } : {}),
    });
  }
  b.setInputs(spec.inputs);
  b.setOutputs(spec.outputs);
  if (!files) return b.toBytes();
  const model = b.build();
  model.associatedFiles = { ...files };
  model.appended = new Uint8Array(0);
  return writeModel(model);
}
