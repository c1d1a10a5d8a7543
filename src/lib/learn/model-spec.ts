/**
 * A plain description of the TFLite graph that learn produces (a trained head to append, or a
 * whole post-training-quantized model). Kept independent of the flatbuffer layer so the quantizer
 * can be tested on numbers alone; `emit.ts` turns it into bytes.
 */

export type SpecDType = 'float32' | 'int32' | 'uint8' | 'int8';

export interface SpecQuant {
  /** One entry per channel along `quantizedDimension`, or a single entry for per-tensor. */
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface SpecTensor {
  name: string;
  dtype: SpecDType;
  shape: number[];
  /** Constant contents (little-endian bytes); absent for activations. */
  data?: Uint8Array;
  quant?: SpecQuant;
}

export type FusedActivation = 'NONE' | 'RELU' | 'RELU6';
export type Padding = 'SAME' | 'VALID';

interface OpBase {
  inputs: number[];
  outputs: number[];
}

export type SpecOp = OpBase &
  (
    | {
        op: 'CONV_2D';
        padding: Padding;
        strideH: number;
        strideW: number;
        dilationH: number;
        dilationW: number;
        activation: FusedActivation;
      }
    | {
        op: 'DEPTHWISE_CONV_2D';
        padding: Padding;
        strideH: number;
        strideW: number;
        dilationH: number;
        dilationW: number;
        depthMultiplier: number;
        activation: FusedActivation;
      }
    | { op: 'FULLY_CONNECTED'; activation: FusedActivation }
    | {
        op: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D';
        padding: Padding;
        strideH: number;
        strideW: number;
        filterH: number;
        filterW: number;
      }
    | { op: 'MEAN'; keepDims: boolean }
    | { op: 'ADD'; activation: FusedActivation }
    | { op: 'CONCATENATION'; axis: number }
    | { op: 'RESHAPE'; newShape: number[] }
    | { op: 'SOFTMAX'; beta: number }
    | { op: 'RELU' | 'RELU6' | 'QUANTIZE' | 'DEQUANTIZE' }
  );

export type SpecOpName = SpecOp['op'];

export interface ModelSpec {
  description: string;
  tensors: SpecTensor[];
  operators: SpecOp[];
  inputs: number[];
  outputs: number[];
}

/** Little-endian bytes of a typed array (TFLite buffers are little-endian; so is every WASM host). */
export function bytesOf(data: Int8Array | Uint8Array | Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}
