/**
 * What the USB driver needs to know about a compiled model, in the driver's own terms: the
 * executables it replays (instruction chunks with their relocation list, parameters, the DMA hint
 * script) and the I/O layers it fills and reads (protocol §4.4, §5.4–§5.8). The model-side
 * decoding (TFLite → custom op → DWN1 package) lives in `executable/`; `program-from-model.ts` turns
 * its result into this shape (sharing the decoder's type vocabulary, types only), so at run time the
 * driver and the emulator depend on nothing else.
 */

import type {
  BufferKind,
  ExecutableKind,
  FieldOffset,
  InstructionChunk,
  LayerDataType,
  OutputLayoutTables,
} from '../executable/index.ts';

export type { BufferKind, ExecutableKind, FieldOffset, InstructionChunk, LayerDataType, OutputLayoutTables };

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
