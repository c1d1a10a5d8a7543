/**
 * Plain data view of a TFLite model: what `readModel` returns and what the writer takes. Byte
 * arrays (buffer data, custom options) are views into the bytes that were read, not copies.
 */

export const DTYPES = [
  'float32',
  'float16',
  'int32',
  'uint8',
  'int64',
  'string',
  'bool',
  'int16',
  'complex64',
  'int8',
  'float64',
  'complex128',
  'uint64',
  'resource',
  'variant',
  'uint32',
  'uint16',
  'int4',
  'bfloat16',
  'int2',
  'uint4',
  'float8_e4m3fn',
  'float8_e5m2',
] as const;
/** TFLite TensorType, lower-case; the index in DTYPES is the schema value. */
export type DType = (typeof DTYPES)[number];

/** Bytes per element, or 0 when elements are not byte-addressable (strings, sub-byte types). */
export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  int32: 4,
  uint8: 1,
  int64: 8,
  string: 0,
  bool: 1,
  int16: 2,
  complex64: 8,
  int8: 1,
  float64: 8,
  complex128: 16,
  uint64: 8,
  resource: 0,
  variant: 0,
  uint32: 4,
  uint16: 2,
  int4: 0,
  bfloat16: 2,
  int2: 0,
  uint4: 0,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
};

export function dtypeFromCode(code: number): DType {
  return DTYPES[code] ?? 'float32';
}

export function dtypeCode(dtype: DType): number {
  return DTYPES.indexOf(dtype);
}

/** real = scale[i] * (q - zeroPoint[i]); i = 0, or the index along `quantizedDimension` when per-channel. */
export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  min: number[] | null;
  max: number[] | null;
}

export interface Tensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** -1 for dimensions known only at run time; null when the file has none. */
  shapeSignature: number[] | null;
  /** Index into `Model.buffers`; 0 (the empty buffer) for activations. */
  buffer: number;
  quantization: Quantization | null;
  isVariable: boolean;
  hasRank: boolean;
  /** True when the file carried sparsity parameters (Reef does not decode or rewrite them). */
  sparse: boolean;
}

export interface Buffer {
  /** Constant data; empty for activations. For >2 GB models, a view of the bytes at Buffer.offset. */
  data: Uint8Array;
}

export interface OperatorCode {
  /** max(deprecated_builtin_code, builtin_code): the real builtin op (32 = CUSTOM). */
  builtinCode: number;
  /** Builtin op name (e.g. `CONV_2D`), or `CUSTOM`. */
  builtinName: string;
  /** Set for custom ops, e.g. `edgetpu-custom-op`. */
  customCode: string | null;
  version: number;
}

/** Builtin options of one op: `kind` is the schema's options table name, other keys its fields. */
export interface BuiltinOptions {
  kind: string;
  [field: string]: string | number | boolean | number[];
}

export interface Operator {
  opcodeIndex: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  intermediates: number[];
  builtinOptions: BuiltinOptions | null;
  /** Schema union type of the options when Reef does not model that table (dropped on write). */
  unknownOptionsType: number | null;
  customOptions: Uint8Array | null;
  mutatingVariableInputs: boolean[];
}

export interface Subgraph {
  name: string;
  tensors: Tensor[];
  inputs: number[];
  outputs: number[];
  operators: Operator[];
}

export interface SignatureTensor {
  name: string;
  tensorIndex: number;
}

export interface Signature {
  key: string;
  subgraphIndex: number;
  inputs: SignatureTensor[];
  outputs: SignatureTensor[];
}

export interface MetadataEntry {
  name: string;
  buffer: number;
}

export interface AssociatedFile {
  name: string;
  description: string | null;
  /** AssociatedFileType name, e.g. `TENSOR_AXIS_LABELS`. */
  type: string;
  locale: string | null;
}

export interface Normalization {
  mean: number[];
  std: number[];
}

export interface TensorMetadata {
  name: string | null;
  description: string | null;
  normalization: Normalization | null;
  /** Expected value range of the tensor's content (e.g. 0..255 for image pixels). */
  range: { min: number; max: number } | null;
  associatedFiles: AssociatedFile[];
}

/** Decoded TFLITE_METADATA (TFLite Support / Model Maker / AutoML Vision Edge). */
export interface ModelMetadata {
  name: string | null;
  description: string | null;
  version: string | null;
  author: string | null;
  license: string | null;
  minParserVersion: string | null;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  associatedFiles: AssociatedFile[];
}

export interface Model {
  /** Schema version (3 for every current converter). */
  version: number;
  description: string;
  operatorCodes: OperatorCode[];
  subgraphs: Subgraph[];
  buffers: Buffer[];
  metadata: MetadataEntry[];
  signatures: Signature[];
  /** Bytes after the flatbuffer (e.g. a ZIP of label files); empty when none. */
  appended: Uint8Array;
  /** Files of the appended ZIP, by name. */
  associatedFiles: Record<string, Uint8Array>;
  /** TFLITE_METADATA, when present and readable. */
  modelMetadata: ModelMetadata | null;
  /** Class labels found in metadata / the appended ZIP (first TENSOR_AXIS_LABELS file), or null. */
  labels: string[] | null;
  /** Non-fatal problems met while reading. */
  warnings: string[];
}
