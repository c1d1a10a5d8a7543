import { builtinOpCode, builtinOpName, CUSTOM_OP_CODE } from './builtin-ops.ts';
import { modelError } from './errors.ts';
import { optionsFields } from './options.ts';
import { writeModel } from './writer.ts';
import type { BuiltinOptions, DType, Model, Operator, OperatorCode, Quantization, Subgraph, Tensor } from './types.ts';

/** Options table of each builtin op the builder knows how to fill in (others take explicit `kind`). */
export const OPTIONS_KIND_BY_OP: Readonly<Record<string, string>> = {
  CONV_2D: 'Conv2DOptions',
  DEPTHWISE_CONV_2D: 'DepthwiseConv2DOptions',
  FULLY_CONNECTED: 'FullyConnectedOptions',
  SOFTMAX: 'SoftmaxOptions',
  RESHAPE: 'ReshapeOptions',
  ADD: 'AddOptions',
  SUB: 'SubOptions',
  MUL: 'MulOptions',
  DIV: 'DivOptions',
  CONCATENATION: 'ConcatenationOptions',
  MAX_POOL_2D: 'Pool2DOptions',
  AVERAGE_POOL_2D: 'Pool2DOptions',
  L2_POOL_2D: 'Pool2DOptions',
  MEAN: 'ReducerOptions',
  SUM: 'ReducerOptions',
  REDUCE_MAX: 'ReducerOptions',
  QUANTIZE: 'QuantizeOptions',
  DEQUANTIZE: 'DequantizeOptions',
  PAD: 'PadOptions',
  SQUEEZE: 'SqueezeOptions',
  L2_NORMALIZATION: 'L2NormOptions',
  RESIZE_BILINEAR: 'ResizeBilinearOptions',
  RESIZE_NEAREST_NEIGHBOR: 'ResizeNearestNeighborOptions',
  STRIDED_SLICE: 'StridedSliceOptions',
  SPLIT: 'SplitOptions',
  PACK: 'PackOptions',
  UNPACK: 'UnpackOptions',
  ARG_MAX: 'ArgMaxOptions',
  CAST: 'CastOptions',
  GATHER: 'GatherOptions',
  TRANSPOSE: 'TransposeOptions',
  LEAKY_RELU: 'LeakyReluOptions',
  HARD_SWISH: 'HardSwishOptions',
  SPACE_TO_DEPTH: 'SpaceToDepthOptions',
  DEPTH_TO_SPACE: 'DepthToSpaceOptions',
};

/**
 * Values the builder uses when a field is left out. The schema's own defaults (0) are not valid
 * for strides, depth multipliers or softmax beta, so a model built from scratch gets the values
 * converters write.
 */
const BUILDER_DEFAULTS: Record<string, number | string | boolean> = {
  strideW: 1,
  strideH: 1,
  dilationWFactor: 1,
  dilationHFactor: 1,
  depthMultiplier: 1,
  beta: 1,
  filterWidth: 1,
  filterHeight: 1,
  padding: 'VALID',
  fusedActivationFunction: 'NONE',
  weightsFormat: 'DEFAULT',
  quantizedBiasType: 'float32',
  potScaleInt16: true,
};

/** Options of `op` with every field present: given values, else builder defaults, else schema defaults. */
export function completeOptions(op: string, given: Partial<BuiltinOptions> = {}): BuiltinOptions | null {
  const kind = given.kind ?? OPTIONS_KIND_BY_OP[op];
  if (!kind) return null;
  const fields = optionsFields(kind);
  if (!fields) throw modelError('invalid-edit', `builtin options table ${kind} is not supported`);
  const options: BuiltinOptions = { kind };
  for (const field of fields) {
    const value = given[field.name];
    if (value !== undefined) options[field.name] = value;
    else if (field.name in BUILDER_DEFAULTS)
      options[field.name] = BUILDER_DEFAULTS[field.name] as number | string | boolean;
    else if (field.type === 'ints') options[field.name] = [];
    else options[field.name] = field.default;
  }
  return options;
}

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: number[];
  /** Per-tensor: one scale/zero point; per-channel: one per slice along `quantizedDimension`. */
  quantization?: { scale: number[]; zeroPoint: number[]; quantizedDimension?: number } | null;
  /** Constant contents (weights, biases, shape operands), little-endian; omitted for activations. */
  data?: Uint8Array | Int8Array | Int32Array | Float32Array;
  shapeSignature?: number[] | null;
}

export interface OpSpec {
  /** Builtin op name (`CONV_2D`), or a custom op code with `custom: true`. */
  op: string;
  custom?: boolean;
  inputs: number[];
  outputs: number[];
  /** Builtin options fields (camelCase, see OPTIONS_KINDS); missing fields get sensible defaults. */
  options?: Partial<BuiltinOptions>;
  customOptions?: Uint8Array;
  version?: number;
}

function toBytes(data: NonNullable<TensorSpec['data']>): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/**
 * Builds a model (subgraph 0) tensor by tensor and op by op; also used to extend an existing
 * model. Indices returned by `addTensor` are what `addOp`, `setInputs` and `setOutputs` take.
 *
 *   const b = new ModelBuilder({ description: 'head' });
 *   const x = b.addTensor({ name: 'x', dtype: 'int8', shape: [1, 1024], quantization: { scale: [s], zeroPoint: [z] } });
 *   const w = b.addTensor({ name: 'w', dtype: 'int8', shape: [10, 1024], quantization: {...}, data: weights });
 *   const bias = b.addTensor({ name: 'b', dtype: 'int32', shape: [10], quantization: {...}, data: biasInt32 });
 *   const y = b.addTensor({ name: 'logits', dtype: 'int8', shape: [1, 10], quantization: {...} });
 *   b.addOp({ op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [y] });
 *   b.setInputs([x]); b.setOutputs([y]);
 *   const bytes = b.toBytes();
 */
export class ModelBuilder {
  private readonly model: Model;

  constructor(init: { description?: string; from?: Model } = {}) {
    const from = init.from;
    if (from) {
      this.model = {
        ...from,
        operatorCodes: from.operatorCodes.map((c) => ({ ...c })),
        buffers: from.buffers.map((b) => ({ data: b.data })),
        subgraphs: from.subgraphs.map((s) => ({
          ...s,
          tensors: s.tensors.map((t) => ({ ...t })),
          operators: s.operators.map((o) => ({ ...o })),
          inputs: [...s.inputs],
          outputs: [...s.outputs],
        })),
        metadata: [...from.metadata],
        signatures: [...from.signatures],
        warnings: [],
      };
      if (init.description !== undefined) this.model.description = init.description;
    } else {
      this.model = {
        version: 3,
        description: init.description ?? 'Built by Reef',
        operatorCodes: [],
        subgraphs: [{ name: 'main', tensors: [], inputs: [], outputs: [], operators: [] }],
        // Buffer 0 is the conventional empty buffer shared by all activations.
        buffers: [{ data: new Uint8Array(0) }],
        metadata: [],
        signatures: [],
        appended: new Uint8Array(0),
        associatedFiles: {},
        modelMetadata: null,
        labels: null,
        warnings: [],
      };
    }
    if (this.model.subgraphs.length === 0)
      this.model.subgraphs.push({ name: 'main', tensors: [], inputs: [], outputs: [], operators: [] });
    if (this.model.buffers.length === 0) this.model.buffers.push({ data: new Uint8Array(0) });
  }

  private get graph(): Subgraph {
    return this.model.subgraphs[0] as Subgraph;
  }

  get tensorCount(): number {
    return this.graph.tensors.length;
  }

  /** Adds a tensor (with a new constant buffer when `data` is given); returns its index. */
  addTensor(spec: TensorSpec): number {
    let buffer = 0;
    if (spec.data) {
      this.model.buffers.push({ data: toBytes(spec.data) });
      buffer = this.model.buffers.length - 1;
    }
    const q = spec.quantization;
    const quantization: Quantization | null = q
      ? {
          scale: [...q.scale],
          zeroPoint: [...q.zeroPoint],
          quantizedDimension: q.quantizedDimension ?? 0,
          min: null,
          max: null,
        }
      : null;
    const tensor: Tensor = {
      name: spec.name,
      dtype: spec.dtype,
      shape: [...spec.shape],
      shapeSignature: spec.shapeSignature ?? null,
      buffer,
      quantization,
      isVariable: false,
      hasRank: true,
      sparse: false,
    };
    this.graph.tensors.push(tensor);
    return this.graph.tensors.length - 1;
  }

  /** Index of the operator code for a builtin op or custom code, added on first use. */
  opcode(op: string, custom = false, version = 1): number {
    const builtinCode = custom ? CUSTOM_OP_CODE : builtinOpCode(op);
    if (builtinCode === null) throw modelError('invalid-edit', `unknown builtin op ${op}`);
    const customCode = custom ? op : null;
    const existing = this.model.operatorCodes.findIndex(
      (c) => c.builtinCode === builtinCode && c.customCode === customCode && c.version === version,
    );
    if (existing >= 0) return existing;
    this.model.operatorCodes.push({ builtinCode, builtinName: builtinOpName(builtinCode), customCode, version });
    return this.model.operatorCodes.length - 1;
  }

  /** Index of an operator code copied from another model (kept as is, even if Reef does not know its name). */
  opcodeOf(code: OperatorCode): number {
    const existing = this.model.operatorCodes.findIndex(
      (c) => c.builtinCode === code.builtinCode && c.customCode === code.customCode && c.version === code.version,
    );
    if (existing >= 0) return existing;
    this.model.operatorCodes.push({ ...code });
    return this.model.operatorCodes.length - 1;
  }

  /** Appends an op; returns its index. */
  addOp(spec: OpSpec): number {
    const count = this.graph.tensors.length;
    for (const t of [...spec.inputs, ...spec.outputs])
      if (!(t === -1 || (t >= 0 && t < count)))
        throw modelError('invalid-edit', `op ${spec.op} refers to tensor ${t}, but there are ${count}`);
    const operator: Operator = {
      opcodeIndex: this.opcode(spec.op, spec.custom ?? false, spec.version ?? 1),
      inputs: [...spec.inputs],
      outputs: [...spec.outputs],
      intermediates: [],
      builtinOptions: spec.custom ? null : completeOptions(spec.op, spec.options),
      unknownOptionsType: null,
      customOptions: spec.customOptions ?? null,
      mutatingVariableInputs: [],
    };
    this.graph.operators.push(operator);
    return this.graph.operators.length - 1;
  }

  setInputs(tensors: number[]): void {
    this.graph.inputs = [...tensors];
  }

  setOutputs(tensors: number[]): void {
    this.graph.outputs = [...tensors];
  }

  build(): Model {
    return this.model;
  }

  toBytes(): Uint8Array {
    return writeModel(this.model);
  }
}

export interface AppendSpec {
  /** New tensors; their indices in the result are `model tensors + position in this list`. */
  tensors: TensorSpec[];
  /**
   * New ops, appended after the existing ones. Tensor references are numbers (existing tensors)
   * or names of tensors in `tensors`.
   */
  ops: (Omit<OpSpec, 'inputs' | 'outputs'> & { inputs: (number | string)[]; outputs: (number | string)[] })[];
  /** The model's new outputs (numbers or names). */
  outputs: (number | string)[];
}

/**
 * Appends ops, tensors and constant buffers after the existing graph (e.g. a trained
 * classification head after an embedding extractor's output) and sets new model outputs.
 * Signatures are dropped (they name the old outputs); metadata, labels and appended files are kept.
 */
export function appendOps(model: Model, spec: AppendSpec): Model {
  const b = new ModelBuilder({ from: model });
  const byName = new Map<string, number>();
  for (const tensor of spec.tensors) byName.set(tensor.name, b.addTensor(tensor));
  const resolve = (ref: number | string): number => {
    if (typeof ref === 'number') return ref;
    const index = byName.get(ref);
    if (index === undefined) throw modelError('invalid-edit', `no new tensor named "${ref}"`);
    return index;
  };
  for (const op of spec.ops) b.addOp({ ...op, inputs: op.inputs.map(resolve), outputs: op.outputs.map(resolve) });
  b.setOutputs(spec.outputs.map(resolve));
  const result = b.build();
  result.signatures = [];
  return result;
}
