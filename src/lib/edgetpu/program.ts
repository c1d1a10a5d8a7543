/**
 * What the USB driver needs to know about a compiled model, in the driver's own terms: the
 * executables it replays (instruction chunks with their relocation list, parameters, the DMA hint
 * script) and the I/O layers it fills and reads (protocol §4.4, §5.4–§5.8). The model-side
 * decoding (TFLite → custom op → DWN1 package) lives in `executable/`; `program-adapter.ts` turns
 * its result into this shape, so the driver and the emulator depend on nothing else.
 */

export type ExecutableKind = 'stand-alone' | 'parameter-caching' | 'execution-only';

/** Which buffer a hint or a relocation refers to (protocol §5.6 `Description`). */
export type BufferKind = 'output' | 'input' | 'parameter' | 'scratch';

export interface FieldOffset {
  buffer: BufferKind;
  /** Layer name for input/output. */
  name: string;
  batch: number;
  /** 0 = low 32 bits of the address, 1 = high 32 bits. */
  position: 0 | 1;
  offsetBit: number;
}

export interface InstructionChunk {
  bitstream: Uint8Array;
  fieldOffsets: readonly FieldOffset[];
}

export type ProgramHint =
  | { kind: 'instruction'; chunk: number }
  | {
      kind: 'dma';
      direction: 'infeed' | 'outfeed';
      buffer: BufferKind;
      name: string;
      batch: number;
      offset: number;
      size: number;
    }
  | { kind: 'interrupt'; type: number }
  | { kind: 'fence' };

/** Executable layer data types (protocol §5.5). */
export type LayerDataType = 'uint8' | 'fixed16' | 'int32' | 'bfloat16' | 'float16' | 'float32' | 'int8' | 'int16';

export interface OutputLayoutTables {
  yTile: readonly number[];
  xTile: readonly number[];
  tileByteOffset: readonly number[];
  xLocalByteOffset: readonly number[];
  yLocalOffset: readonly number[];
  xLocalRowSize: readonly number[];
}

export interface ProgramLayer {
  name: string;
  /** Padded size of one execution (batch 1), what hints move. */
  sizeBytes: number;
  yDim: number;
  xDim: number;
  zDim: number;
  dataType: LayerDataType;
  /** Bytes per element. */
  elementBytes: number;
  zeroPoint: number;
  scale: number;
  executionCount: number;
  /** Output re-layout tables (§5.8), when the device writes the layer tiled. */
  layout?: OutputLayoutTables;
}

export interface ProgramExecutable {
  kind: ExecutableKind;
  /** parameter_caching_token as a decimal string ("0" when absent). */
  token: string;
  batchSize: number;
  scratchSizeBytes: number;
  chunks: readonly InstructionChunk[];
  parameters: Uint8Array;
  hints: readonly ProgramHint[];
  fullyDeterministic: boolean;
  inputLayers: readonly ProgramLayer[];
  outputLayers: readonly ProgramLayer[];
}

export interface TpuProgram {
  minRuntimeVersion: number;
  /** The executable run for every inference (EO of a pair, or the single one). */
  main: ProgramExecutable;
  /** Loads the weights once per device (protocol §4.8); absent for stand-alone programs. */
  parameterCaching?: ProgramExecutable;
}

/** Highest `min_runtime_version` this driver runs (protocol §5.3: libedgetpu 14). */
export const MAX_RUNTIME_VERSION = 14;

export function actualBytes(layer: ProgramLayer): number {
  return layer.yDim * layer.xDim * layer.zDim * layer.elementBytes * layer.executionCount;
}

export function paddedBytes(layer: ProgramLayer): number {
  return layer.sizeBytes * layer.executionCount;
}

/** Key of the buffer a relocation or hint refers to; parameters and scratch have no name (§5.6). */
export function bufferKey(buffer: BufferKind, name: string, batch: number): string {
  return buffer === 'parameter' || buffer === 'scratch' ? `${buffer}::0` : `${buffer}:${name}:${batch}`;
}
