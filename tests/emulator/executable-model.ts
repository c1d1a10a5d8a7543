/**
 * What a compiled model tells the device to expect, read by the emulator itself: which executables
 * run (protocol §5.4), and for each the instruction bitstreams with their relocation fields (§5.6),
 * the parameter bytes, the DMA hint script (§5.7) and the input/output layers with their tiled
 * output layouts (§5.5, §5.8). It reads the model only through the flatbuffer layer (src/lib/tflite,
 * the FlexBuffer map reader and the generated executable.fbs accessors), never through the driver's
 * interpretation (program/, driver/streamable-program.ts, driver/relayout.ts): a driver bug in reading hints,
 * sizes or layouts must show up as a mismatch with this reading, not pass with it.
 */
import { ByteBuffer, Encoding } from 'flatbuffers';
import { readFlexMap } from '../../src/lib/edgetpu/executable/flexbuffer-map.ts';
import { AnyHint } from '../../src/lib/edgetpu/executable/generated/darwinn/any-hint.ts';
import { AnyLayer } from '../../src/lib/edgetpu/executable/generated/darwinn/any-layer.ts';
import { DmaDescriptorHint } from '../../src/lib/edgetpu/executable/generated/darwinn/dma-descriptor-hint.ts';
import { Executable } from '../../src/lib/edgetpu/executable/generated/darwinn/executable.ts';
import { InstructionHint } from '../../src/lib/edgetpu/executable/generated/darwinn/instruction-hint.ts';
import { InterruptHint } from '../../src/lib/edgetpu/executable/generated/darwinn/interrupt-hint.ts';
import type { Layer } from '../../src/lib/edgetpu/executable/generated/darwinn/layer.ts';
import type { Meta } from '../../src/lib/edgetpu/executable/generated/darwinn/meta.ts';
import { MultiExecutable } from '../../src/lib/edgetpu/executable/generated/darwinn/multi-executable.ts';
import { OutputLayer } from '../../src/lib/edgetpu/executable/generated/darwinn/output-layer.ts';
import { Package } from '../../src/lib/edgetpu/executable/generated/darwinn/package.ts';
import { readModel } from '../../src/lib/tflite/index.ts';

/** §5.6 `desc`: the buffer an address or a hint refers to, in schema order. */
export type BufferKind = 'output' | 'input' | 'parameter' | 'scratch';
const BUFFER_KINDS: readonly BufferKind[] = ['output', 'input', 'parameter', 'scratch'];

export type ExecutableKind = 'stand-alone' | 'parameter-caching' | 'execution-only';
const EXECUTABLE_KINDS: readonly ExecutableKind[] = ['stand-alone', 'parameter-caching', 'execution-only'];

/** §5.5 data types: host name and element size. */
const DATA_TYPES: Record<number, { name: string; bytes: number }> = {
  0: { name: 'uint8', bytes: 1 },
  1: { name: 'fixed16', bytes: 2 },
  2: { name: 'int32', bytes: 4 },
  3: { name: 'bfloat16', bytes: 2 },
  4: { name: 'float16', bytes: 2 },
  5: { name: 'float32', bytes: 4 },
  8: { name: 'int8', bytes: 1 },
  9: { name: 'int16', bytes: 2 },
};

/** The six tables of an OutputLayout (§5.8), named after the schema fields. */
export interface TileLayout {
  yTileId: Int32Array;
  xTileId: Int32Array;
  tileByteOffset: Int32Array;
  xLocalByteOffset: Int32Array;
  yLocalOffset: Int32Array;
  xLocalRowSize: Int32Array;
}

export interface ModelLayer {
  name: string;
  /** Padded size of one execution, what the hints move (§5.5). */
  sizeBytes: number;
  yDim: number;
  xDim: number;
  zDim: number;
  /** Host name of the data type: uint8, int8, int16, … */
  dataType: string;
  elementBytes: number;
  signed: boolean;
  zeroPoint: number;
  executionCount: number;
  /** The chip's tiled write order for this output (§5.8); absent for inputs. */
  layout?: TileLayout;
  /** Batched outputs carry slice layouts instead; the emulator does not model them. */
  hasShapeInfo: boolean;
}

export interface Relocation {
  buffer: BufferKind;
  name: string;
  batch: number;
  /** 0: low 32 bits of the address, 1: high 32 bits. */
  position: 0 | 1;
  offsetBit: number;
}

export interface ModelChunk {
  bitstream: Uint8Array;
  fieldOffsets: readonly Relocation[];
}

export type ModelHint =
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

export interface ModelExecutable {
  kind: ExecutableKind;
  /** parameter_caching_token, decimal ("0" when absent). */
  token: string;
  batchSize: number;
  scratchSizeBytes: number;
  chunks: readonly ModelChunk[];
  parameters: Uint8Array;
  hints: readonly ModelHint[];
  fullyDeterministic: boolean;
  inputLayers: readonly ModelLayer[];
  outputLayers: readonly ModelLayer[];
}

export interface EmulatedModel {
  minRuntimeVersion: number;
  /** Runs for every inference: EXECUTION_ONLY of a pair, or the one executable (§5.4). */
  main: ModelExecutable;
  /** Loads the weights (§4.8); absent for stand-alone models. */
  parameterCaching?: ModelExecutable;
  /** Where the Edge TPU op sits in the TFLite graph, for CPU twins that cut it out by tensor name. */
  op: { subgraphIndex: number; inputs: readonly number[]; outputs: readonly number[] };
}

const read = new WeakSet<EmulatedModel>();

/** True for a model this module read (registering the driver's own decoding is refused). */
export function isEmulatedModel(value: unknown): value is EmulatedModel {
  return typeof value === 'object' && value !== null && read.has(value as EmulatedModel);
}

function text(value: string | null): string {
  return value ?? '';
}

function bytesOf(array: Uint8Array | null): Uint8Array {
  return array ?? new Uint8Array(0);
}

/** A schema int vector, element by element (its bytes need not be 4-byte aligned in the model). */
function ints(length: number, at: (index: number) => number | null): Int32Array {
  return Int32Array.from({ length }, (_, i) => at(i) ?? 0);
}

function relocationOf(meta: Meta | null, offsetBit: number): Relocation {
  return {
    buffer: BUFFER_KINDS[meta?.desc() ?? 0] ?? 'output',
    name: text(meta?.name() ?? null),
    batch: meta?.batch() ?? 0,
    position: meta?.position() === 1 ? 1 : 0,
    offsetBit,
  };
}

function layerOf(layer: Layer, what: string): ModelLayer {
  const type = DATA_TYPES[layer.dataType()];
  if (!type) throw new Error(`virtual Coral: ${what} has data type ${layer.dataType()}, not in protocol §5.5`);
  const out: ModelLayer = {
    name: text(layer.name()),
    sizeBytes: layer.sizeBytes(),
    yDim: Math.max(1, layer.yDim()),
    xDim: Math.max(1, layer.xDim()),
    zDim: Math.max(1, layer.zDim()),
    dataType: type.name,
    elementBytes: type.bytes,
    signed: type.name === 'int8' || type.name === 'int16',
    zeroPoint: layer.numerics()?.zeroPoint() ?? 0,
    executionCount: Math.max(1, layer.executionCountPerInference()),
    hasShapeInfo: false,
  };
  if (layer.anyLayerType() === AnyLayer.OutputLayer) {
    const output = layer.anyLayer(new OutputLayer()) as OutputLayer | null;
    const tables = output?.layout();
    if (tables) {
      out.layout = {
        yTileId: ints(tables.yCoordinateToLinearTileIdMapLength(), (i) => tables.yCoordinateToLinearTileIdMap(i)),
        xTileId: ints(tables.xCoordinateToLinearTileIdMapLength(), (i) => tables.xCoordinateToLinearTileIdMap(i)),
        tileByteOffset: ints(tables.linearizedTileByteOffsetLength(), (i) => tables.linearizedTileByteOffset(i)),
        xLocalByteOffset: ints(tables.xCoordinateToLocalByteOffsetLength(), (i) =>
          tables.xCoordinateToLocalByteOffset(i),
        ),
        yLocalOffset: ints(tables.yCoordinateToLocalYOffsetLength(), (i) => tables.yCoordinateToLocalYOffset(i)),
        xLocalRowSize: ints(tables.xCoordinateToLocalYRowSizeLength(), (i) => tables.xCoordinateToLocalYRowSize(i)),
      };
    }
    out.hasShapeInfo = output?.shapeInfo() != null;
  }
  return out;
}

function hintsOf(exe: Executable): { hints: ModelHint[]; fullyDeterministic: boolean } {
  const table = exe.dmaHints();
  if (!table) return { hints: [], fullyDeterministic: false };
  const hints: ModelHint[] = [];
  for (let i = 0; i < table.hintsLength(); i++) {
    const hint = table.hints(i)!;
    switch (hint.anyHintType()) {
      case AnyHint.DmaDescriptorHint: {
        const dma = hint.anyHint(new DmaDescriptorHint()) as DmaDescriptorHint;
        const where = relocationOf(dma.meta(), 0);
        hints.push({
          kind: 'dma',
          direction: hint.direction() === 1 ? 'outfeed' : 'infeed',
          buffer: where.buffer,
          name: where.name,
          batch: where.batch,
          offset: dma.offsetInBytes(),
          size: dma.sizeInBytes(),
        });
        break;
      }
      case AnyHint.InstructionHint:
        hints.push({
          kind: 'instruction',
          chunk: (hint.anyHint(new InstructionHint()) as InstructionHint).instructionChunkIndex(),
        });
        break;
      case AnyHint.InterruptHint:
        hints.push({ kind: 'interrupt', type: (hint.anyHint(new InterruptHint()) as InterruptHint).type() });
        break;
      case AnyHint.FenceHint:
        hints.push({ kind: 'fence' });
        break;
      default:
        throw new Error(`virtual Coral: DMA hint ${i} has type ${hint.anyHintType()}, not in protocol §5.7`);
    }
  }
  return { hints, fullyDeterministic: table.fullyDeterministic() };
}

function executableOf(bytes: Uint8Array, index: number): { type: number; exe: Omit<ModelExecutable, 'kind'> } {
  const exe = Executable.getRootAsExecutable(new ByteBuffer(bytes));
  const chunks: ModelChunk[] = [];
  for (let c = 0; c < exe.instructionBitstreamsLength(); c++) {
    const chunk = exe.instructionBitstreams(c)!;
    const fieldOffsets: Relocation[] = [];
    for (let f = 0; f < chunk.fieldOffsetsLength(); f++) {
      const field = chunk.fieldOffsets(f)!;
      fieldOffsets.push(relocationOf(field.meta(), field.offsetBit()));
    }
    chunks.push({ bitstream: bytesOf(chunk.bitstreamArray()), fieldOffsets });
  }
  const layers = (count: number, at: (i: number) => Layer | null, what: string) =>
    Array.from({ length: count }, (_, i) => layerOf(at(i)!, `executable ${index} ${what} ${i}`));
  return {
    type: exe.type(),
    exe: {
      token: exe.parameterCachingToken().toString(),
      batchSize: exe.batchSize(),
      scratchSizeBytes: exe.scratchSizeBytes(),
      chunks,
      parameters: bytesOf(exe.parametersArray()),
      ...hintsOf(exe),
      inputLayers: layers(exe.inputLayersLength(), (i) => exe.inputLayers(i), 'input'),
      outputLayers: layers(exe.outputLayersLength(), (i) => exe.outputLayers(i), 'output'),
    },
  };
}

/**
 * Reads a compiled `.tflite` the way the device needs it. Exactly one `edgetpu-custom-op` whose
 * options (FlexBuffer map, §5.1) hold the DWN1 package under key "4"; one, two or three executables
 * chosen as §5.4 says. Anything else is a test setup error, not a driver bug.
 */
export function readEmulatedModel(bytes: Uint8Array): EmulatedModel {
  const model = readModel(bytes);
  const found: { subgraphIndex: number; inputs: number[]; outputs: number[]; options: Uint8Array }[] = [];
  model.subgraphs.forEach((subgraph, subgraphIndex) => {
    for (const op of subgraph.operators) {
      if (model.operatorCodes[op.opcodeIndex]?.customCode !== 'edgetpu-custom-op') continue;
      found.push({
        subgraphIndex,
        inputs: op.inputs,
        outputs: op.outputs,
        options: op.customOptions ?? new Uint8Array(),
      });
    }
  });
  if (found.length !== 1) throw new Error(`virtual Coral: the model has ${found.length} Edge TPU ops, expected 1`);
  const op = found[0]!;
  const packageEntry = readFlexMap(op.options).get('4');
  if (packageEntry?.type !== 'bytes')
    throw new Error('virtual Coral: the Edge TPU op options have no package (key "4")');
  const pkg = Package.getRootAsPackage(new ByteBuffer(packageEntry.value));
  const multi = MultiExecutable.getRootAsMultiExecutable(new ByteBuffer(bytesOf(pkg.serializedMultiExecutableArray())));
  const executables = Array.from({ length: multi.serializedExecutablesLength() }, (_, i) =>
    executableOf(multi.serializedExecutables(i, Encoding.UTF8_BYTES) as Uint8Array, i),
  );
  const ofType = (type: number) => executables.find((e) => e.type === type)?.exe;
  const [STAND_ALONE, PARAMETER_CACHING, EXECUTION_ONLY] = [0, 1, 2];
  let main: ModelExecutable;
  let parameterCaching: ModelExecutable | undefined;
  const pc = ofType(PARAMETER_CACHING);
  const eo = ofType(EXECUTION_ONLY);
  if (executables.length === 1) {
    main = { kind: 'stand-alone', ...executables[0]!.exe };
  } else if (executables.length === 2 && pc && eo) {
    main = { kind: 'execution-only', ...eo };
    parameterCaching = { kind: 'parameter-caching', ...pc };
  } else if (executables.length === 3 && ofType(STAND_ALONE) && pc && eo) {
    main = { kind: 'stand-alone', ...ofType(STAND_ALONE)! };
  } else {
    const kinds = executables.map((e) => EXECUTABLE_KINDS[e.type] ?? e.type).join(', ');
    throw new Error(`virtual Coral: executable set [${kinds}] is not one of protocol §5.4`);
  }
  const result: EmulatedModel = {
    minRuntimeVersion: pkg.minRuntimeVersion(),
    main,
    op: { subgraphIndex: op.subgraphIndex, inputs: op.inputs, outputs: op.outputs },
  };
  if (parameterCaching) result.parameterCaching = parameterCaching;
  read.add(result);
  return result;
}

/** Key of the buffer a relocation or a hint names; parameters and scratch have one each (§5.6). */
export function bufferKey(buffer: BufferKind, name: string, batch: number): string {
  return buffer === 'parameter' || buffer === 'scratch' ? buffer : `${buffer}/${name}/${batch}`;
}
