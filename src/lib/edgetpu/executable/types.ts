/** Plain data view of an Edge TPU (DarwiNN, DWN1) package, as the driver and the inspector use it. */

export type ExecutableTypeName = 'STAND_ALONE' | 'PARAMETER_CACHING' | 'EXECUTION_ONLY';
export type ExecutableKind = 'stand-alone' | 'parameter-caching' | 'execution-only';

/** Which buffer a relocation or DMA hint refers to (`Description` in the schema). */
export type BufferKind = 'output' | 'input' | 'parameter' | 'scratch';

/** Layer data types (protocol §5.5), named by the host-side type. */
export type LayerDataType = 'uint8' | 'fixed16' | 'int32' | 'bfloat16' | 'float16' | 'float32' | 'int8' | 'int16';

export interface FieldOffset {
  buffer: BufferKind;
  /** Input/output layer name; empty for parameters and scratch. */
  name: string;
  batch: number;
  /** 0 = low 32 bits of the 64-bit address, 1 = high 32 bits. */
  position: 0 | 1;
  /** Absolute bit in the chunk where the 32-bit value starts (LSB first). */
  offsetBit: number;
}

export interface InstructionChunk {
  bitstream: Uint8Array;
  fieldOffsets: FieldOffset[];
}

export type DmaHint =
  | { kind: 'instruction'; direction: 'infeed' | 'outfeed'; chunk: number }
  | {
      kind: 'dma';
      direction: 'infeed' | 'outfeed';
      buffer: BufferKind;
      name: string;
      batch: number;
      position: 0 | 1;
      /** Byte offset from the buffer's start. */
      offset: number;
      size: number;
    }
  | { kind: 'interrupt'; direction: 'infeed' | 'outfeed'; type: number }
  | { kind: 'fence'; direction: 'infeed' | 'outfeed' };

export interface OutputLayoutTables {
  yTile: number[];
  xTile: number[];
  tileByteOffset: number[];
  xLocalByteOffset: number[];
  yLocalOffset: number[];
  xLocalRowSize: number[];
}

/** Inclusive index range of one dimension. */
export interface DimRange {
  start: number;
  end: number;
}

export interface SliceLayout {
  shape: DimRange[];
  /** Element stride per dimension. */
  stride: number[];
}

export interface OutputShapeInfo {
  slices: SliceLayout[];
  /** Byte offset of each slice's first element. */
  sliceOffsets: number[];
}

export interface EdgeTpuLayer {
  name: string;
  /** Padded byte size of one execution at batch 1 (what DMA hints move). */
  sizeBytes: number;
  yDim: number;
  xDim: number;
  zDim: number;
  dataType: LayerDataType;
  /** Schema name of the data type, e.g. `FIXED_POINT8`. */
  dataTypeName: string;
  /** Schema value of the data type. */
  dataTypeCode: number;
  elementBytes: number;
  bits: number;
  zeroPoint: number;
  /** real = (q − zeroPoint) × dequantizationFactor */
  dequantizationFactor: number;
  executionCount: number;
  cacheOnDram: boolean;
  /** Inclusive ranges per dimension, when the compiler recorded them. */
  shape: DimRange[] | null;
  /** Output re-layout tables (protocol §5.8), null for inputs and untiled outputs. */
  layout: OutputLayoutTables | null;
  shapeInfo: OutputShapeInfo | null;
}

export interface EdgeTpuExecutable {
  type: ExecutableTypeName;
  kind: ExecutableKind;
  name: string;
  version: number;
  chip: string;
  batchSize: number;
  scratchSizeBytes: number;
  /** parameter_caching_token as a decimal string (a u64 does not fit a JS number); "0" when absent. */
  cachingToken: string;
  /** Weights (a view into the model bytes). */
  parameters: Uint8Array;
  instructionChunks: InstructionChunk[];
  hints: DmaHint[];
  /** True when `hints` describe every DMA, in order (protocol §4.10). */
  fullyDeterministic: boolean;
  inputLayers: EdgeTpuLayer[];
  outputLayers: EdgeTpuLayer[];
  estimatedCycles: number;
  usedNarrowMemoryBytesPerTile: number;
  useTpuDramForParameters: boolean;
}

export interface EdgeTpuPackage {
  minRuntimeVersion: number;
  compilerVersion: string;
  keypairVersion: number;
  virtualChipId: number;
  modelIdentifier: string;
  /** Chip named by the executables (e.g. `beagle`). */
  chip: string;
  executables: EdgeTpuExecutable[];
  /** Non-fatal findings (e.g. missing DWN1 identifier, old runtime version). */
  warnings: string[];
}

/** The FlexBuffer map in an `edgetpu-custom-op`'s custom_options (protocol §5.1). */
export interface EdgeTpuCustomOptions {
  /** Key "1": custom-op-data version. */
  version: number | null;
  /** Key "4": the serialized Package (a view into the model bytes). */
  packageBytes: Uint8Array;
  /** Key "5": execution preference (-1 normally). */
  executionPreference: number | null;
  /** Key "6": chip code per executable. */
  chipCodes: number[];
  /** Key "7": number of further serialized Packages (for further chips; unsupported). */
  extraPackages: number;
  keys: string[];
}

export interface EdgeTpuOp {
  subgraphIndex: number;
  opIndex: number;
  /** Tensor indices of the op's inputs and outputs, in the op's order. */
  inputs: number[];
  outputs: number[];
  options: EdgeTpuCustomOptions;
  package: EdgeTpuPackage;
}

/** §5.4: the executable run per inference and the one that loads cached weights, if any. */
export interface ExecutableSelection {
  main: EdgeTpuExecutable;
  parameterCaching: EdgeTpuExecutable | null;
}
