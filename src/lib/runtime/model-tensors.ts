/** Bridges the model reader's tensors to the runtime's: metadata, constants as typed arrays. */
import type { Model, Subgraph, Tensor as ModelTensor } from '../tflite/index.ts';
import { allocateTensorArray, type DType, type Tensor, type TensorInfo } from './engine.ts';
import { isLiteRtBoundaryType } from './litert-runtime.ts';

export function tensorInfo(tensor: ModelTensor): TensorInfo {
  const q = tensor.quantization;
  return {
    name: tensor.name,
    // Types outside DType (float16 weights, strings) never reach a run: the partitioner rejects them.
    dtype: tensor.dtype as DType,
    shape: [...tensor.shape],
    scale: q && q.scale.length === 1 ? q.scale[0]! : 0,
    zeroPoint: q && q.zeroPoint.length === 1 ? q.zeroPoint[0]! : 0,
  };
}

export function isConstant(model: Model, tensor: ModelTensor): boolean {
  return !tensor.isVariable && (model.buffers[tensor.buffer]?.data.length ?? 0) > 0;
}

/** A constant tensor's data (copied, so the typed array is aligned). */
export function constantTensor(model: Model, subgraph: Subgraph, index: number): Tensor | undefined {
  const t = subgraph.tensors[index];
  if (!t || !isConstant(model, t) || !isLiteRtBoundaryType(t.dtype)) return undefined;
  const bytes = model.buffers[t.buffer]!.data;
  const info = tensorInfo(t);
  const count = t.shape.reduce((n, d) => n * d, 1);
  const data = allocateTensorArray(info.dtype, count);
  new Uint8Array(data.buffer).set(bytes.subarray(0, data.byteLength));
  return { ...info, data };
}

/** Per-channel aware dequantization of a constant (weights are often per-channel). */
export function dequantizeConstant(model: Model, subgraph: Subgraph, index: number): Float32Array | undefined {
  const tensor = constantTensor(model, subgraph, index);
  if (!tensor) return undefined;
  const q = subgraph.tensors[index]!.quantization;
  const out = new Float32Array(tensor.data.length);
  const data = tensor.data;
  if (!q || q.scale.length === 0) {
    for (let i = 0; i < out.length; i++) out[i] = Number(data[i]);
    return out;
  }
  if (q.scale.length === 1) {
    for (let i = 0; i < out.length; i++) out[i] = (Number(data[i]) - (q.zeroPoint[0] ?? 0)) * q.scale[0]!;
    return out;
  }
  const shape = tensor.shape;
  const axis = q.quantizedDimension;
  const inner = shape.slice(axis + 1).reduce((n, d) => n * d, 1);
  const channels = shape[axis]!;
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = (Number(data[i]) - (q.zeroPoint[c] ?? 0)) * q.scale[c]!;
  }
  return out;
}

/**
 * The value a variable tensor (LSTM state) starts from when nothing produced it: what TFLite's
 * ResetVariableTensor writes, the zero point for int8 (a real 0) and all-zero bytes otherwise.
 */
export function resetVariableTensor(tensor: ModelTensor): Tensor {
  const info = tensorInfo(tensor);
  const data = allocateTensorArray(
    info.dtype,
    tensor.shape.reduce((n, d) => n * d, 1),
  );
  if (data instanceof Int8Array) data.fill(info.zeroPoint);
  return { ...info, data };
}
