/**
 * The one contract every engine meets (LiteRT.js WASM, Edge TPU, composite): load a model, run it
 * on input tensors, get output tensors with their quantization. Every result names the engine and
 * the device that produced it, so a CPU fallback is never mistaken for an accelerator result.
 */

/** Element types Reef moves between engines; int64 travels as BigInt64Array. */
export type DType = 'float32' | 'int32' | 'uint8' | 'int8' | 'int16' | 'int64' | 'bool';

export type TensorArray = Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | BigInt64Array;

/** What a tensor is: enough to pre- and post-process it without the model file. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Quantization; `scale` is 0 for tensors that are not quantized. */
  scale: number;
  zeroPoint: number;
}

export interface Tensor extends TensorInfo {
  data: TensorArray;
}

export interface RunResult {
  outputs: Tensor[];
  /** e.g. `litert-wasm`, `edgetpu`, `composite(edgetpu+litert-wasm+reef)`. */
  engine: string;
  /** e.g. `cpu`, `usb:0`. */
  device: string;
  /** Wall time of `run`, including copies in and out. */
  ms: number;
}

export interface LoadedModel {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly engine: string;
  readonly device: string;
  /** Inputs in the model's input order; each array's length must match its tensor. */
  run(inputs: readonly TensorArray[]): Promise<RunResult>;
  dispose(): void;
}

export interface Engine {
  readonly name: string;
  readonly device: string;
  load(model: Uint8Array): Promise<LoadedModel>;
  dispose(): void;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  int32: 4,
  uint8: 1,
  int8: 1,
  int16: 2,
  int64: 8,
  bool: 1,
};

/** The element type a typed array holds (the inverse of `allocateTensorArray`; bool arrives as uint8). */
export function dtypeOfArray(array: TensorArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Int32Array) return 'int32';
  if (array instanceof Int8Array) return 'int8';
  if (array instanceof Int16Array) return 'int16';
  if (array instanceof BigInt64Array) return 'int64';
  return 'uint8';
}

/** A typed array of the right kind for `dtype`, over `length` elements. */
export function allocateTensorArray(dtype: DType, length: number): TensorArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'int64':
      return new BigInt64Array(length);
  }
}

/** Real values of a tensor: dequantized when it has a scale, widened to float otherwise. */
export function dequantize(tensor: Tensor): Float32Array {
  const out = new Float32Array(tensor.data.length);
  const { scale, zeroPoint, data } = tensor;
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  if (scale === 0) {
    out.set(data);
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = ((data[i] as number) - zeroPoint) * scale;
  return out;
}
