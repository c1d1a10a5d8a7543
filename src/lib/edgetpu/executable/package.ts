import { CheckedByteBuffer, guardParse, modelError } from '../../tflite/index.ts';
import { AnyHint } from './generated/darwinn/any-hint.ts';
import { AnyLayer } from './generated/darwinn/any-layer.ts';
import { DmaDescriptorHint } from './generated/darwinn/dma-descriptor-hint.ts';
import { Executable } from './generated/darwinn/executable.ts';
import { InstructionHint } from './generated/darwinn/instruction-hint.ts';
import { InterruptHint } from './generated/darwinn/interrupt-hint.ts';
import type { Layer } from './generated/darwinn/layer.ts';
import type { Meta } from './generated/darwinn/meta.ts';
import { MultiExecutable } from './generated/darwinn/multi-executable.ts';
import { OutputLayer } from './generated/darwinn/output-layer.ts';
import { Package } from './generated/darwinn/package.ts';
import type { TensorShape } from './generated/darwinn/tensor-shape.ts';
import type {
  BufferKind,
  DimRange,
  DmaHint,
  EdgeTpuExecutable,
  EdgeTpuLayer,
  EdgeTpuPackage,
  ExecutableKind,
  ExecutableSelection,
  ExecutableTypeName,
  FieldOffset,
  InstructionChunk,
  LayerDataType,
  OutputLayoutTables,
  OutputShapeInfo,
} from './types.ts';

export const PACKAGE_IDENTIFIER = 'DWN1';
/** Newest package format this code (and libedgetpu 14, "Grouper") understands (protocol §5.3). */
export const MAX_RUNTIME_VERSION = 14;
/** Older than this, libedgetpu warns: the package predates features the driver assumes. */
export const MIN_RECOMMENDED_RUNTIME_VERSION = 10;

const TYPE_NAMES: readonly ExecutableTypeName[] = ['STAND_ALONE', 'PARAMETER_CACHING', 'EXECUTION_ONLY'];
const KINDS: Record<ExecutableTypeName, ExecutableKind> = {
  STAND_ALONE: 'stand-alone',
  PARAMETER_CACHING: 'parameter-caching',
  EXECUTION_ONLY: 'execution-only',
};
const BUFFERS: readonly BufferKind[] = ['output', 'input', 'parameter', 'scratch'];

/** Schema DataType value → host type, element bytes, schema name (protocol §5.5). */
const DATA_TYPES = new Map<number, { type: LayerDataType; bytes: number; name: string }>([
  [0, { type: 'uint8', bytes: 1, name: 'FIXED_POINT8' }],
  [1, { type: 'fixed16', bytes: 2, name: 'FIXED_POINT16' }],
  [2, { type: 'int32', bytes: 4, name: 'SIGNED_FIXED_POINT32' }],
  [3, { type: 'bfloat16', bytes: 2, name: 'BFLOAT' }],
  [4, { type: 'float16', bytes: 2, name: 'HALF' }],
  [5, { type: 'float32', bytes: 4, name: 'SINGLE' }],
  [8, { type: 'int8', bytes: 1, name: 'SIGNED_FIXED_POINT8' }],
  [9, { type: 'int16', bytes: 2, name: 'SIGNED_FIXED_POINT16' }],
]);

/**
 * Largest device buffer (one layer's padded bytes × executions, the scratch area, one DMA) and
 * largest sum of an executable's layer buffers Reef accepts. Real Edge TPU models move at most a
 * few MiB per layer (the chip has 8 MiB of parameter cache); hostile sizes (negative, or near
 * 2^31) would otherwise reach `new Uint8Array(...)` in the driver as a RangeError or gigabytes.
 */
export const MAX_DEVICE_BUFFER_BYTES = 64 * 1024 * 1024;
export const MAX_EXECUTABLE_BUFFER_BYTES = 256 * 1024 * 1024;

function checkSize(value: number, what: string, max = MAX_DEVICE_BUFFER_BYTES): number {
  if (!(Number.isSafeInteger(value) && value >= 0 && value <= max))
    throw modelError('bad-executable', `${what} is ${value} bytes; it must be between 0 and ${max}`);
  return value;
}

/** Sizes the driver allocates or copies from, checked once here so every later use can trust them. */
function checkExecutableSizes(exe: EdgeTpuExecutable, what: string): void {
  checkSize(exe.scratchSizeBytes, `${what}: scratch size`);
  let total = exe.scratchSizeBytes;
  const layers = new Map<string, number>();
  for (const [kind, list] of [
    ['input', exe.inputLayers],
    ['output', exe.outputLayers],
  ] as const) {
    list.forEach((layer, i) => {
      const where = `${what} ${kind} ${i} (${layer.name})`;
      for (const [dim, value] of [
        ['y', layer.yDim],
        ['x', layer.xDim],
        ['z', layer.zDim],
      ] as const)
        if (!(value >= 0)) throw modelError('bad-executable', `${where}: ${dim} dimension ${value} is negative`);
      if (!(layer.executionCount >= 1 && layer.executionCount <= 65536))
        throw modelError('bad-executable', `${where}: execution count ${layer.executionCount} (must be 1 to 65536)`);
      checkSize(layer.sizeBytes * layer.executionCount, `${where}: buffer (size × executions)`);
      checkSize(
        layer.yDim * layer.xDim * layer.zDim * layer.elementBytes * layer.executionCount,
        `${where}: tensor (y × x × z × element bytes × executions)`,
      );
      total += layer.sizeBytes * layer.executionCount;
      layers.set(`${kind}:${layer.name}`, layer.sizeBytes * layer.executionCount);
      if (layer.layout)
        for (const [table, values] of Object.entries(layer.layout))
          if (values.some((v: number) => !(v >= 0 && v <= MAX_DEVICE_BUFFER_BYTES)))
            throw modelError('bad-executable', `${where}: output layout table ${table} holds an out-of-range value`);
    });
  }
  checkSize(total, `${what}: all layer and scratch buffers together`, MAX_EXECUTABLE_BUFFER_BYTES);
  exe.hints.forEach((hint, i) => {
    if (hint.kind !== 'dma') return;
    const where = `${what} DMA hint ${i} (${hint.buffer} ${hint.name})`;
    checkSize(hint.offset, `${where}: offset`);
    checkSize(hint.size, `${where}: size`);
    const end = hint.offset + hint.size;
    const limit =
      hint.buffer === 'parameter'
        ? exe.parameters.length
        : hint.buffer === 'scratch'
          ? exe.scratchSizeBytes
          : layers.get(`${hint.buffer}:${hint.name}`);
    // Input slices may reach into the padding past a layer's end (protocol §4.4): within one more buffer.
    const allowed = limit === undefined ? MAX_DEVICE_BUFFER_BYTES : hint.buffer === 'input' ? 2 * limit : limit;
    if (end > allowed)
      throw modelError(
        'bad-executable',
        `${where}: [${hint.offset}, +${hint.size}) is outside its ${limit ?? '?'}-byte buffer`,
      );
  });
}

function text(value: string | Uint8Array | null): string {
  return typeof value === 'string' ? value : '';
}

function hasIdentifier(bytes: Uint8Array, ident: string): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === ident;
}

function ints(bb: CheckedByteBuffer, length: number, at: (index: number) => number | null): number[] {
  bb.charge(length);
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = at(i) ?? 0;
  return out;
}

function readMeta(meta: Meta | null): Omit<FieldOffset, 'offsetBit'> {
  if (!meta) return { buffer: 'output', name: '', batch: 0, position: 0 };
  return {
    buffer: BUFFERS[meta.desc()] ?? 'output',
    name: text(meta.name()),
    batch: meta.batch(),
    position: meta.position() === 1 ? 1 : 0,
  };
}

function readShape(bb: CheckedByteBuffer, shape: TensorShape | null): DimRange[] | null {
  if (!shape) return null;
  const count = shape.dimensionLength();
  bb.charge(count);
  const dims: DimRange[] = [];
  for (let i = 0; i < count; i++) {
    const range = shape.dimension(i);
    if (range) dims.push({ start: range.start(), end: range.end() });
  }
  return dims;
}

function readLayer(bb: CheckedByteBuffer, layer: Layer, what: string): EdgeTpuLayer {
  const code = layer.dataType();
  const dataType = DATA_TYPES.get(code);
  if (!dataType) throw modelError('bad-executable', `${what}: unknown layer data type ${code}`);
  const numerics = layer.numerics();
  let layout: OutputLayoutTables | null = null;
  let shapeInfo: OutputShapeInfo | null = null;
  if (layer.anyLayerType() === AnyLayer.OutputLayer) {
    const output = layer.anyLayer(new OutputLayer()) as OutputLayer | null;
    const tables = output?.layout();
    if (tables) {
      layout = {
        yTile: ints(bb, tables.yCoordinateToLinearTileIdMapLength(), (i) => tables.yCoordinateToLinearTileIdMap(i)),
        xTile: ints(bb, tables.xCoordinateToLinearTileIdMapLength(), (i) => tables.xCoordinateToLinearTileIdMap(i)),
        tileByteOffset: ints(bb, tables.linearizedTileByteOffsetLength(), (i) => tables.linearizedTileByteOffset(i)),
        xLocalByteOffset: ints(bb, tables.xCoordinateToLocalByteOffsetLength(), (i) =>
          tables.xCoordinateToLocalByteOffset(i),
        ),
        yLocalOffset: ints(bb, tables.yCoordinateToLocalYOffsetLength(), (i) => tables.yCoordinateToLocalYOffset(i)),
        xLocalRowSize: ints(bb, tables.xCoordinateToLocalYRowSizeLength(), (i) => tables.xCoordinateToLocalYRowSize(i)),
      };
    }
    const info = output?.shapeInfo();
    if (info) {
      const count = info.sliceLayoutLength();
      bb.charge(count);
      const slices = [];
      for (let i = 0; i < count; i++) {
        const slice = info.sliceLayout(i);
        if (!slice) continue;
        slices.push({
          shape: readShape(bb, slice.shape()) ?? [],
          stride: ints(bb, slice.strideLength(), (j) => slice.stride(j)),
        });
      }
      shapeInfo = { slices, sliceOffsets: ints(bb, info.sliceOffsetLength(), (i) => info.sliceOffset(i)) };
    }
  }
  return {
    name: text(layer.name()),
    sizeBytes: layer.sizeBytes(),
    yDim: layer.yDim(),
    xDim: layer.xDim(),
    zDim: layer.zDim(),
    dataType: dataType.type,
    dataTypeName: dataType.name,
    dataTypeCode: code,
    elementBytes: dataType.bytes,
    bits: dataType.bytes * 8,
    zeroPoint: numerics ? numerics.zeroPoint() : 0,
    dequantizationFactor: numerics ? numerics.dequantizationFactor() : 0,
    executionCount: layer.executionCountPerInference(),
    cacheOnDram: layer.cacheOnDram(),
    shape: readShape(bb, layer.shape()),
    layout,
    shapeInfo,
  };
}

function readHints(bb: CheckedByteBuffer, exe: Executable): { hints: DmaHint[]; fullyDeterministic: boolean } {
  const table = exe.dmaHints();
  if (!table) return { hints: [], fullyDeterministic: false };
  const count = table.hintsLength();
  bb.charge(count);
  const hints: DmaHint[] = [];
  for (let i = 0; i < count; i++) {
    const hint = table.hints(i);
    if (!hint) continue;
    const direction = hint.direction() === 1 ? 'outfeed' : 'infeed';
    switch (hint.anyHintType()) {
      case AnyHint.DmaDescriptorHint: {
        const dma = hint.anyHint(new DmaDescriptorHint()) as DmaDescriptorHint | null;
        if (!dma) break;
        const meta = readMeta(dma.meta());
        hints.push({
          kind: 'dma',
          direction,
          buffer: meta.buffer,
          name: meta.name,
          batch: meta.batch,
          position: meta.position,
          offset: dma.offsetInBytes(),
          size: dma.sizeInBytes(),
        });
        break;
      }
      case AnyHint.InstructionHint: {
        const instruction = hint.anyHint(new InstructionHint()) as InstructionHint | null;
        hints.push({ kind: 'instruction', direction, chunk: instruction ? instruction.instructionChunkIndex() : 0 });
        break;
      }
      case AnyHint.InterruptHint: {
        const interrupt = hint.anyHint(new InterruptHint()) as InterruptHint | null;
        hints.push({ kind: 'interrupt', direction, type: interrupt ? interrupt.type() : 0 });
        break;
      }
      case AnyHint.FenceHint:
        hints.push({ kind: 'fence', direction });
        break;
      default:
        throw modelError('bad-executable', `DMA hint ${i} has unknown type ${hint.anyHintType()}`);
    }
  }
  return { hints, fullyDeterministic: table.fullyDeterministic() };
}

function readChunks(bb: CheckedByteBuffer, exe: Executable, what: string): InstructionChunk[] {
  const count = exe.instructionBitstreamsLength();
  bb.charge(count);
  const chunks: InstructionChunk[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = exe.instructionBitstreams(i);
    if (!chunk) throw modelError('bad-executable', `${what}: instruction chunk ${i} is missing`);
    const field = bb.__offset(chunk.bb_pos, 4);
    const bitstream = field ? bb.bytesAt(chunk.bb_pos + field) : new Uint8Array(0);
    if (bitstream.length === 0) throw modelError('bad-executable', `${what}: instruction chunk ${i} is empty`);
    const offsets = chunk.fieldOffsetsLength();
    bb.charge(offsets);
    const fieldOffsets: FieldOffset[] = [];
    for (let j = 0; j < offsets; j++) {
      const entry = chunk.fieldOffsets(j);
      if (!entry) continue;
      const offsetBit = entry.offsetBit();
      if (offsetBit < 0 || offsetBit + 32 > bitstream.length * 8)
        throw modelError(
          'bad-executable',
          `${what}: chunk ${i} field offset at bit ${offsetBit} is outside its ${bitstream.length}-byte bitstream`,
        );
      fieldOffsets.push({ ...readMeta(entry.meta()), offsetBit });
    }
    chunks.push({ bitstream, fieldOffsets });
  }
  return chunks;
}

/** Decodes one serialized Executable flatbuffer (no file identifier). */
export function readExecutable(bytes: Uint8Array, what = 'executable'): EdgeTpuExecutable {
  return guardParse(what, () => {
    if (bytes.length < 8) throw modelError('truncated', `${what}: ${bytes.length} bytes is too short`);
    const bb = new CheckedByteBuffer(bytes, what);
    const exe = Executable.getRootAsExecutable(bb);
    const typeName = TYPE_NAMES[exe.type()];
    if (!typeName) throw modelError('bad-executable', `${what}: unknown executable type ${exe.type()}`);
    const parametersField = bb.__offset(exe.bb_pos, 16);
    const parameters = parametersField ? bb.bytesAt(exe.bb_pos + parametersField) : new Uint8Array(0);
    const instructionChunks = readChunks(bb, exe, what);
    if (instructionChunks.length === 0) throw modelError('bad-executable', `${what}: no instruction chunks`);
    const batchSize = exe.batchSize();
    if (batchSize < 1) throw modelError('bad-executable', `${what}: batch size ${batchSize} (must be at least 1)`);
    const inputLayers: EdgeTpuLayer[] = [];
    const outputLayers: EdgeTpuLayer[] = [];
    const inputs = exe.inputLayersLength();
    const outputs = exe.outputLayersLength();
    bb.charge(inputs + outputs);
    for (let i = 0; i < inputs; i++) {
      const layer = exe.inputLayers(i);
      if (layer) inputLayers.push(readLayer(bb, layer, `${what} input ${i}`));
    }
    for (let i = 0; i < outputs; i++) {
      const layer = exe.outputLayers(i);
      if (layer) outputLayers.push(readLayer(bb, layer, `${what} output ${i}`));
    }
    const cycles = exe.estimatedCycles64bit();
    const decoded: EdgeTpuExecutable = {
      type: typeName,
      kind: KINDS[typeName],
      name: text(exe.name()),
      version: exe.version(),
      chip: text(exe.chip()),
      batchSize,
      scratchSizeBytes: exe.scratchSizeBytes(),
      cachingToken: exe.parameterCachingToken().toString(),
      parameters,
      instructionChunks,
      ...readHints(bb, exe),
      inputLayers,
      outputLayers,
      estimatedCycles: cycles > 0n ? Number(cycles) : exe.estimatedCycles(),
      usedNarrowMemoryBytesPerTile: exe.usedNarrowMemoryBytesPerTile(),
      useTpuDramForParameters: exe.useTpuDramForParameters(),
    };
    checkExecutableSizes(decoded, what);
    return decoded;
  });
}

export interface ReadPackageOptions {
  /** Refuse packages needing a newer runtime than this (default MAX_RUNTIME_VERSION). */
  maxRuntimeVersion?: number;
}

/**
 * Decodes a DWN1 Package (the bytes under key "4" of an `edgetpu-custom-op`'s options) and every
 * executable in it, applying libedgetpu's package checks (protocol §5.3).
 */
export function readEdgeTpuPackage(bytes: Uint8Array, options: ReadPackageOptions = {}): EdgeTpuPackage {
  const maxRuntime = options.maxRuntimeVersion ?? MAX_RUNTIME_VERSION;
  return guardParse('Edge TPU package', () => {
    if (bytes.length < 8) throw modelError('truncated', `Edge TPU package: ${bytes.length} bytes is too short`);
    const warnings: string[] = [];
    if (!hasIdentifier(bytes, PACKAGE_IDENTIFIER))
      warnings.push(`Edge TPU package has no ${PACKAGE_IDENTIFIER} file identifier`);
    const bb = new CheckedByteBuffer(bytes, 'Edge TPU package');
    const pkg = Package.getRootAsPackage(bb);
    const minRuntimeVersion = pkg.minRuntimeVersion();
    if (minRuntimeVersion > maxRuntime)
      throw modelError(
        'runtime-version-unsupported',
        `the Edge TPU model needs runtime version ${minRuntimeVersion}; Reef supports up to ${maxRuntime} (recompile with an older edgetpu_compiler, or update Reef)`,
      );
    if (minRuntimeVersion < MIN_RECOMMENDED_RUNTIME_VERSION)
      warnings.push(`Edge TPU package runtime version ${minRuntimeVersion} is very old; recompile the model`);
    const virtualChipId = pkg.virtualChipId();
    if (virtualChipId === -1)
      throw modelError('multi-chip-unsupported', 'multi-chip Edge TPU packages are not supported');
    const multiField = bb.__offset(pkg.bb_pos, 6);
    const multiBytes = multiField ? bb.bytesAt(pkg.bb_pos + multiField) : new Uint8Array(0);
    if (multiBytes.length < 8) throw modelError('bad-executable', 'Edge TPU package has no executables');
    const multiBuffer = new CheckedByteBuffer(multiBytes, 'Edge TPU multi-executable');
    const multi = MultiExecutable.getRootAsMultiExecutable(multiBuffer);
    const listField = multiBuffer.__offset(multi.bb_pos, 4);
    if (!listField) throw modelError('bad-executable', 'Edge TPU package has no executables');
    const listAt = multiBuffer.__vector(multi.bb_pos + listField);
    const count = multiBuffer.vectorLength(multi.bb_pos + listField, 4);
    if (count === 0) throw modelError('bad-executable', 'Edge TPU package has no executables');
    const executables: EdgeTpuExecutable[] = [];
    for (let i = 0; i < count; i++)
      executables.push(readExecutable(multiBuffer.bytesAt(listAt + 4 * i), `Edge TPU executable ${i}`));
    const seen = new Set<string>();
    for (const exe of executables) {
      if (seen.has(exe.type)) throw modelError('bad-executable', `Edge TPU package has two ${exe.type} executables`);
      seen.add(exe.type);
    }
    return {
      minRuntimeVersion,
      compilerVersion: text(pkg.compilerVersion()),
      keypairVersion: pkg.keypairVersion(),
      virtualChipId,
      modelIdentifier: text(pkg.modelIdentifier()),
      chip: executables.find((e) => e.chip)?.chip ?? '',
      executables,
      warnings,
    };
  });
}

/** Protocol §5.4: which executable runs each inference, and which (if any) caches the weights. */
export function selectExecutables(pkg: EdgeTpuPackage): ExecutableSelection {
  const byType = new Map(pkg.executables.map((e) => [e.type, e]));
  const [only] = pkg.executables;
  if (pkg.executables.length === 1 && only) return { main: only, parameterCaching: null };
  const standAlone = byType.get('STAND_ALONE');
  const caching = byType.get('PARAMETER_CACHING');
  const executionOnly = byType.get('EXECUTION_ONLY');
  if (pkg.executables.length === 2 && caching && executionOnly)
    return { main: executionOnly, parameterCaching: caching };
  if (pkg.executables.length === 3 && standAlone && caching && executionOnly)
    return { main: standAlone, parameterCaching: null };
  throw modelError(
    'bad-executable',
    `Edge TPU package has an unsupported executable set: ${pkg.executables.map((e) => e.type).join(', ')}`,
  );
}
