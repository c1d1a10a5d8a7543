import type { Builder } from 'flatbuffers';
import type { CheckedByteBuffer } from './checked-buffer.ts';
import { BuiltinOptions as OptionsType } from './generated/tflite/tflite/builtin-options.ts';
import { DTYPES, type BuiltinOptions } from './types.ts';

/**
 * Builtin options tables, described once so that one generic reader and one generic writer cover
 * all of them (every table Reef models holds only scalars, enums and int vectors). Field slots
 * and defaults follow tflite.fbs; a unit test checks them against the generated accessors.
 */
type FieldType = 'int' | 'bool' | 'float' | 'ints' | 'padding' | 'activation' | 'dtype' | 'byteEnum';
interface FieldSpec {
  name: string;
  slot: number;
  type: FieldType;
  default: number | boolean;
  /** Names of a byte enum's values (for 'byteEnum'). */
  names?: readonly string[];
}

export const PADDINGS = ['SAME', 'VALID'] as const;
export const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;
export type Padding = (typeof PADDINGS)[number];
export type Activation = (typeof ACTIVATIONS)[number];

const f = (name: string, slot: number, type: FieldType, def: number | boolean = 0, names?: readonly string[]) =>
  names ? { name, slot, type, default: def, names } : { name, slot, type, default: def };

const act = (slot: number) => f('fusedActivationFunction', slot, 'activation');

const SPECS: Record<string, FieldSpec[]> = {
  Conv2DOptions: [
    f('padding', 0, 'padding'),
    f('strideW', 1, 'int'),
    f('strideH', 2, 'int'),
    act(3),
    f('dilationWFactor', 4, 'int', 1),
    f('dilationHFactor', 5, 'int', 1),
    f('quantizedBiasType', 6, 'dtype'),
  ],
  DepthwiseConv2DOptions: [
    f('padding', 0, 'padding'),
    f('strideW', 1, 'int'),
    f('strideH', 2, 'int'),
    f('depthMultiplier', 3, 'int'),
    act(4),
    f('dilationWFactor', 5, 'int', 1),
    f('dilationHFactor', 6, 'int', 1),
  ],
  Pool2DOptions: [
    f('padding', 0, 'padding'),
    f('strideW', 1, 'int'),
    f('strideH', 2, 'int'),
    f('filterWidth', 3, 'int'),
    f('filterHeight', 4, 'int'),
    act(5),
  ],
  FullyConnectedOptions: [
    act(0),
    f('weightsFormat', 1, 'byteEnum', 0, ['DEFAULT', 'SHUFFLED4x16INT8']),
    f('keepNumDims', 2, 'bool', false),
    f('asymmetricQuantizeInputs', 3, 'bool', false),
    f('quantizedBiasType', 4, 'dtype'),
  ],
  SoftmaxOptions: [f('beta', 0, 'float')],
  ConcatenationOptions: [f('axis', 0, 'int'), act(1)],
  AddOptions: [act(0), f('potScaleInt16', 1, 'bool', true)],
  L2NormOptions: [act(0)],
  LSTMOptions: [
    act(0),
    f('cellClip', 1, 'float'),
    f('projClip', 2, 'float'),
    f('kernelType', 3, 'byteEnum', 0, ['FULL', 'BASIC']),
    f('asymmetricQuantizeInputs', 4, 'bool', false),
  ],
  ResizeBilinearOptions: [f('alignCorners', 2, 'bool', false), f('halfPixelCenters', 3, 'bool', false)],
  ReshapeOptions: [f('newShape', 0, 'ints')],
  SpaceToDepthOptions: [f('blockSize', 0, 'int')],
  MulOptions: [act(0)],
  PadOptions: [],
  GatherOptions: [f('axis', 0, 'int'), f('batchDims', 1, 'int')],
  TransposeOptions: [],
  ReducerOptions: [f('keepDims', 0, 'bool', false)],
  SubOptions: [act(0), f('potScaleInt16', 1, 'bool', true)],
  DivOptions: [act(0)],
  SqueezeOptions: [f('squeezeDims', 0, 'ints')],
  StridedSliceOptions: [
    f('beginMask', 0, 'int'),
    f('endMask', 1, 'int'),
    f('ellipsisMask', 2, 'int'),
    f('newAxisMask', 3, 'int'),
    f('shrinkAxisMask', 4, 'int'),
    f('offset', 5, 'bool', false),
  ],
  ExpOptions: [],
  SplitOptions: [f('numSplits', 0, 'int')],
  LogSoftmaxOptions: [],
  CastOptions: [f('inDataType', 0, 'dtype'), f('outDataType', 1, 'dtype')],
  DequantizeOptions: [],
  MaximumMinimumOptions: [],
  ArgMaxOptions: [f('outputType', 0, 'dtype')],
  LessOptions: [],
  NegOptions: [],
  PadV2Options: [],
  GreaterOptions: [],
  SelectOptions: [],
  SliceOptions: [],
  TransposeConvOptions: [
    f('padding', 0, 'padding'),
    f('strideW', 1, 'int'),
    f('strideH', 2, 'int'),
    act(3),
    f('quantizedBiasType', 4, 'dtype'),
  ],
  TileOptions: [],
  ExpandDimsOptions: [],
  EqualOptions: [],
  ShapeOptions: [f('outType', 0, 'dtype')],
  PowOptions: [],
  ArgMinOptions: [f('outputType', 0, 'dtype')],
  PackOptions: [f('valuesCount', 0, 'int'), f('axis', 1, 'int')],
  UnpackOptions: [f('num', 0, 'int'), f('axis', 1, 'int')],
  FloorDivOptions: [],
  SquareOptions: [],
  ZerosLikeOptions: [],
  FillOptions: [],
  UnidirectionalSequenceLSTMOptions: [
    act(0),
    f('cellClip', 1, 'float'),
    f('projClip', 2, 'float'),
    f('timeMajor', 3, 'bool', false),
    f('asymmetricQuantizeInputs', 4, 'bool', false),
    f('diagonalRecurrentTensors', 5, 'bool', false),
  ],
  ResizeNearestNeighborOptions: [f('alignCorners', 0, 'bool', false), f('halfPixelCenters', 1, 'bool', false)],
  LeakyReluOptions: [f('alpha', 0, 'float')],
  SquaredDifferenceOptions: [],
  MirrorPadOptions: [f('mode', 0, 'byteEnum', 0, ['REFLECT', 'SYMMETRIC'])],
  AbsOptions: [],
  SplitVOptions: [f('numSplits', 0, 'int')],
  AddNOptions: [],
  GatherNdOptions: [],
  QuantizeOptions: [],
  HardSwishOptions: [],
  DepthToSpaceOptions: [f('blockSize', 0, 'int')],
  SelectV2Options: [],
  BatchMatMulOptions: [
    f('adjX', 0, 'bool', false),
    f('adjY', 1, 'bool', false),
    f('asymmetricQuantizeInputs', 2, 'bool', false),
  ],
  BroadcastToOptions: [],
  GeluOptions: [f('approximate', 0, 'bool', false)],
};

/** Every options table name Reef reads and writes. */
export const OPTIONS_KINDS = Object.keys(SPECS);

const kindByType = new Map<number, string>();
for (const kind of OPTIONS_KINDS) {
  const type = (OptionsType as Record<string, number>)[kind];
  if (type === undefined) throw new Error(`options table ${kind} missing from the generated BuiltinOptions union`);
  kindByType.set(type, kind);
}

export function optionsKindForType(type: number): string | null {
  return kindByType.get(type) ?? null;
}

export function optionsTypeForKind(kind: string): number | null {
  return SPECS[kind] ? ((OptionsType as Record<string, number>)[kind] ?? null) : null;
}

export function optionsFields(kind: string): readonly FieldSpec[] | null {
  return SPECS[kind] ?? null;
}

function enumName(names: readonly string[], value: number): string {
  return names[value] ?? String(value);
}

function enumValue(names: readonly string[], value: unknown, fallback: number): number {
  if (typeof value === 'number') return value;
  const index = typeof value === 'string' ? names.indexOf(value) : -1;
  return index >= 0 ? index : fallback;
}

function namesOf(field: FieldSpec): readonly string[] {
  if (field.type === 'padding') return PADDINGS;
  if (field.type === 'activation') return ACTIVATIONS;
  if (field.type === 'dtype') return DTYPES;
  return field.names ?? [];
}

/** Decodes the options table at `table` (absolute position in `bb`). */
export function readOptions(bb: CheckedByteBuffer, table: number, kind: string): BuiltinOptions {
  const result: BuiltinOptions = { kind };
  for (const field of SPECS[kind] ?? []) {
    const offset = bb.__offset(table, 4 + 2 * field.slot);
    const at = table + offset;
    switch (field.type) {
      case 'int':
        result[field.name] = offset ? bb.readInt32(at) : (field.default as number);
        break;
      case 'float':
        result[field.name] = offset ? bb.readFloat32(at) : (field.default as number);
        break;
      case 'bool':
        result[field.name] = offset ? bb.readInt8(at) !== 0 : (field.default as boolean);
        break;
      case 'ints': {
        const values: number[] = [];
        if (offset) {
          const length = bb.vectorLength(at, 4);
          const start = bb.__vector(at);
          for (let i = 0; i < length; i++) values.push(bb.readInt32(start + 4 * i));
        }
        result[field.name] = values;
        break;
      }
      default:
        result[field.name] = enumName(namesOf(field), offset ? bb.readInt8(at) : (field.default as number));
    }
  }
  return result;
}

/** Writes an options table; returns its offset. Unknown or missing fields take the schema default. */
export function writeOptions(builder: Builder, options: BuiltinOptions): number {
  const fields = SPECS[options.kind];
  if (!fields) throw new Error(`unknown builtin options table ${options.kind}`);
  // Vectors must be written before the table is started.
  const vectors = new Map<string, number>();
  for (const field of fields) {
    if (field.type !== 'ints') continue;
    const values = options[field.name];
    if (!Array.isArray(values)) continue;
    builder.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) builder.addInt32(values[i] ?? 0);
    vectors.set(field.name, builder.endVector());
  }
  const slots = fields.reduce((max, field) => Math.max(max, field.slot + 1), 0);
  builder.startObject(slots);
  for (const field of fields) {
    const value = options[field.name];
    switch (field.type) {
      case 'int':
        builder.addFieldInt32(
          field.slot,
          typeof value === 'number' ? value : (field.default as number),
          field.default as number,
        );
        break;
      case 'float':
        builder.addFieldFloat32(
          field.slot,
          typeof value === 'number' ? value : (field.default as number),
          field.default as number,
        );
        break;
      case 'bool':
        builder.addFieldInt8(
          field.slot,
          (typeof value === 'boolean' ? value : field.default) ? 1 : 0,
          field.default ? 1 : 0,
        );
        break;
      case 'ints': {
        const vector = vectors.get(field.name);
        if (vector !== undefined) builder.addFieldOffset(field.slot, vector, 0);
        break;
      }
      default:
        builder.addFieldInt8(
          field.slot,
          enumValue(namesOf(field), value, field.default as number),
          field.default as number,
        );
    }
  }
  return builder.endObject();
}
