/**
 * The partitioner in front of LiteRT.js: every op and tensor type is checked before anything is
 * loaded, and each op is placed on the Edge TPU (edgetpu-custom-op), a Reef kernel (ops LiteRT
 * lacks or cannot hand back) or LiteRT. LiteRT.js never sees an op it would silently skip (it
 * returns zeros for unresolved custom ops instead of failing), so an op nobody runs is a typed
 * error here, naming the op.
 */
import { ReefError } from '../errors.ts';
import { EDGETPU_CUSTOM_OP, hasEdgeTpuOps, opRuns, type Model, type Subgraph } from '../tflite/index.ts';
import { isLiteRtBoundaryType } from './litert-runtime.ts';
import { REEF_KERNELS, type ReefKernel } from './kernels/registry.ts';
import { isConstant } from './model-tensors.ts';

// The model layer decides what counts as compiled; the runtime's users keep importing it from here.
export { hasEdgeTpuOps };

export type Placement = 'litert' | 'reef' | 'edgetpu';

export interface PlacedOp {
  index: number;
  /** Builtin name or custom code. */
  name: string;
  placement: Placement;
  kernel?: ReefKernel;
}

export interface Segment {
  placement: Placement;
  /** Op indices, contiguous and in model order. */
  ops: number[];
  /** Activation tensors the segment reads from graph inputs or earlier segments, in first-use order. */
  inputs: number[];
  /** Tensors it produces that later segments or the graph outputs need. */
  outputs: number[];
}

export interface Partition {
  model: Model;
  subgraph: Subgraph;
  ops: PlacedOp[];
  segments: Segment[];
}

/**
 * Custom ops LiteRT.js resolves itself. A Reef kernel still takes them when one matches (LiteRT's
 * TFLite_Detection_PostProcess outputs cannot be read back); they reach LiteRT only when the
 * caller disables that kernel.
 */
const LITERT_CUSTOM_OPS = new Set(['TFLite_Detection_PostProcess']);

/** Tensor types LiteRT's CPU kernels take inside a graph. */
const LITERT_INTERNAL_TYPES = new Set(['float32', 'float16', 'int32', 'uint8', 'int64', 'bool', 'int16', 'int8']);

export function opName(model: Model, opcodeIndex: number): string {
  const code = model.operatorCodes[opcodeIndex];
  if (!code) return `opcode ${opcodeIndex}`;
  return code.customCode ?? code.builtinName;
}

function unsupported(message: string, reason: string, op?: string): ReefError {
  return new ReefError('UNIMPLEMENTED', message, { reason: op ? `${reason}:${op}` : reason });
}

function placeOp(model: Model, subgraph: Subgraph, index: number, kernels: readonly ReefKernel[]): PlacedOp {
  const op = subgraph.operators[index]!;
  const code = model.operatorCodes[op.opcodeIndex];
  const name = opName(model, op.opcodeIndex);
  if (code?.customCode === EDGETPU_CUSTOM_OP) return { index, name, placement: 'edgetpu' };
  const kernel = kernels.find((k) => k.matches({ model, subgraph, op, name }));
  if (kernel) return { index, name, placement: 'reef', kernel };
  if (code?.customCode != null && !LITERT_CUSTOM_OPS.has(code.customCode)) {
    throw unsupported(
      `op ${index} is the custom op '${name}', which neither LiteRT.js nor a Reef kernel can run`,
      'unsupported-op',
      name,
    );
  }
  for (const t of [...op.inputs, ...op.outputs]) {
    if (t < 0) continue;
    const tensor = subgraph.tensors[t]!;
    if (!LITERT_INTERNAL_TYPES.has(tensor.dtype)) {
      throw unsupported(
        `op ${index} (${name}) uses tensor '${tensor.name}' of type ${tensor.dtype}, which LiteRT.js does not run`,
        'unsupported-tensor-type',
        name,
      );
    }
    if (tensor.isVariable) {
      throw unsupported(
        `op ${index} (${name}) uses variable tensor '${tensor.name}'; LiteRT.js does not support variable tensors and no Reef kernel takes this op`,
        'variable-tensor',
        name,
      );
    }
    if (tensor.sparse) {
      throw unsupported(
        `op ${index} (${name}): sparse tensor '${tensor.name}' is not supported`,
        'sparse-tensor',
        name,
      );
    }
  }
  return { index, name, placement: 'litert' };
}

/** `kernels`: the Reef kernels to use (all by default; fewer to compare a kernel against LiteRT). */
export function partitionModel(model: Model, kernels: readonly ReefKernel[] = REEF_KERNELS): Partition {
  if (model.subgraphs.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', 'model has no subgraph', { reason: 'no-subgraph' });
  }
  const subgraph = model.subgraphs[0]!;
  const ops = subgraph.operators.map((_, i) => placeOp(model, subgraph, i, kernels));

  // Contiguous runs of one placement; each Reef kernel and each TPU op is its own segment.
  const groups = opRuns(
    ops.map((op) => op.placement),
    (placement) => placement === 'litert',
  );

  const producedBy = new Map<number, number>(); // tensor → group
  groups.forEach((g, gi) => {
    for (const o of g.ops) for (const t of subgraph.operators[o]!.outputs) if (t >= 0) producedBy.set(t, gi);
  });
  const graphOutputs = new Set(subgraph.outputs);
  const readBy = new Map<number, Set<number>>(); // tensor → groups reading it
  groups.forEach((g, gi) => {
    for (const o of g.ops) {
      for (const t of subgraph.operators[o]!.inputs) {
        if (t < 0) continue;
        if (!readBy.has(t)) readBy.set(t, new Set());
        readBy.get(t)!.add(gi);
      }
    }
  });

  const segments: Segment[] = groups.map((g, gi) => {
    const inputs: number[] = [];
    const outputs: number[] = [];
    for (const o of g.ops) {
      for (const t of subgraph.operators[o]!.inputs) {
        if (t < 0 || inputs.includes(t)) continue;
        const tensor = subgraph.tensors[t]!;
        if (isConstant(model, tensor) || tensor.isVariable) continue;
        if (producedBy.get(t) === gi) continue;
        inputs.push(t);
      }
      for (const t of subgraph.operators[o]!.outputs) {
        if (t < 0) continue;
        const laterReaders = [...(readBy.get(t) ?? [])].some((r) => r > gi);
        if (laterReaders || graphOutputs.has(t)) outputs.push(t);
      }
    }
    return { placement: g.placement, ops: g.ops, inputs, outputs };
  });

  // A whole-model segment is loaded from the original bytes: its tensors come in the model's order.
  if (segments.length === 1) {
    segments[0]!.inputs = [...subgraph.inputs];
    segments[0]!.outputs = [...subgraph.outputs];
  }

  // What crosses into or out of LiteRT must be a type Reef can hand over.
  for (const s of segments) {
    if (s.placement !== 'litert') continue;
    for (const t of [...s.inputs, ...s.outputs]) {
      const tensor = subgraph.tensors[t]!;
      if (!isLiteRtBoundaryType(tensor.dtype)) {
        throw unsupported(
          `tensor '${tensor.name}' (${tensor.dtype}) would cross between LiteRT.js and another engine; that type cannot`,
          'unsupported-boundary-type',
        );
      }
    }
  }
  return { model, subgraph, ops, segments };
}
