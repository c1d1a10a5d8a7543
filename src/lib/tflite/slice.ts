/**
 * Slices of subgraph 0 as models of their own. `sliceModel` is the one cutter (the runtime's CPU
 * sub-graphs and `extractSubgraph` both use it); `extractSubgraph` also works out the boundary.
 */
import { modelError } from './errors.ts';
import type { Buffer, Model, Operator, OperatorCode, Subgraph, Tensor } from './types.ts';

/**
 * A contiguous slice of subgraph 0 as a model of its own: the ops [first, last], the tensors they
 * touch (re-indexed), their constant buffers, and the given boundary tensors as inputs and outputs
 * in that order. Serialization is the model writer's; this only decides what goes in.
 */
export function sliceModel(
  model: Model,
  first: number,
  last: number,
  inputs: readonly number[],
  outputs: readonly number[],
): Model {
  const source = model.subgraphs[0]!;
  const ops = source.operators.slice(first, last + 1);
  const tensorMap = new Map<number, number>();
  const tensors: Tensor[] = [];
  const buffers: Buffer[] = [{ data: new Uint8Array() }];
  const bufferMap = new Map<number, number>([[0, 0]]);
  const mapTensor = (t: number): number => {
    if (t < 0) return t;
    let mapped = tensorMap.get(t);
    if (mapped === undefined) {
      const tensor = source.tensors[t]!;
      let buffer = bufferMap.get(tensor.buffer);
      if (buffer === undefined) {
        buffer = buffers.length;
        buffers.push(model.buffers[tensor.buffer] ?? { data: new Uint8Array() });
        bufferMap.set(tensor.buffer, buffer);
      }
      mapped = tensors.length;
      tensors.push({ ...tensor, buffer });
      tensorMap.set(t, mapped);
    }
    return mapped;
  };
  const codes: OperatorCode[] = [];
  const codeMap = new Map<number, number>();
  const newOps: Operator[] = ops.map((op) => {
    let code = codeMap.get(op.opcodeIndex);
    if (code === undefined) {
      code = codes.length;
      codes.push(model.operatorCodes[op.opcodeIndex]!);
      codeMap.set(op.opcodeIndex, code);
    }
    return {
      ...op,
      opcodeIndex: code,
      inputs: op.inputs.map(mapTensor),
      outputs: op.outputs.map(mapTensor),
      intermediates: op.intermediates.map(mapTensor),
    };
  });
  const subgraph: Subgraph = {
    name: source.name,
    tensors,
    inputs: inputs.map(mapTensor),
    outputs: outputs.map(mapTensor),
    operators: newOps,
  };
  return {
    version: model.version,
    description: `Reef slice: ops ${first}-${last}`,
    operatorCodes: codes,
    subgraphs: [subgraph],
    buffers,
    metadata: [],
    signatures: [],
    appended: new Uint8Array(),
    associatedFiles: {},
    modelMetadata: null,
    labels: null,
    warnings: [],
  };
}

/**
 * Cuts ops `fromOp`..`toOp` (inclusive) of subgraph 0 into a standalone model. Tensors the slice
 * reads but does not compute (and that are not constants) become its inputs, tensors it computes
 * that later ops or the model outputs use become its outputs (or, at the end of the graph, the
 * last op's outputs).
 */
export function extractSubgraph(model: Model, range: { fromOp: number; toOp: number }): Model {
  const graph = model.subgraphs[0];
  if (!graph) throw modelError('invalid-edit', 'the model has no subgraph');
  const { fromOp, toOp } = range;
  if (!(
    Number.isInteger(fromOp) &&
    Number.isInteger(toOp) &&
    fromOp >= 0 &&
    toOp >= fromOp &&
    toOp < graph.operators.length
  ))
    throw modelError('invalid-edit', `op range ${fromOp}..${toOp} is not within 0..${graph.operators.length - 1}`);
  const slice = graph.operators.slice(fromOp, toOp + 1);
  for (const op of slice)
    if (!model.operatorCodes[op.opcodeIndex])
      throw modelError('invalid-edit', `op refers to missing opcode ${op.opcodeIndex}`);
  const isConstant = (t: number) => (model.buffers[graph.tensors[t]?.buffer ?? 0]?.data.length ?? 0) > 0;
  const produced = new Set(slice.flatMap((op) => op.outputs));
  const inputs: number[] = [];
  for (const op of slice)
    for (const t of op.inputs) if (t >= 0 && !produced.has(t) && !isConstant(t) && !inputs.includes(t)) inputs.push(t);
  const usedLater = new Set([...graph.operators.slice(toOp + 1).flatMap((op) => op.inputs), ...graph.outputs]);
  let outputs = [...produced].filter((t) => usedLater.has(t));
  if (outputs.length === 0) outputs = [...(slice[slice.length - 1]?.outputs ?? [])];
  const description = `${model.description} (ops ${fromOp}-${toOp})`.trim();
  return { ...sliceModel(model, fromOp, toOp, inputs, outputs), description };
}
