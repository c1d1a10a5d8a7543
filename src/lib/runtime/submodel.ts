/**
 * A contiguous slice of subgraph 0 as a model of its own: the ops [first, last], the tensors they
 * touch (re-indexed), their constant buffers, and the given boundary tensors as inputs and outputs
 * in that order. Serialization is the model writer's; this only decides what goes in.
 */
import type { Buffer, Model, Operator, OperatorCode, Subgraph, Tensor } from '../tflite/index.ts';
import type { SubmodelExtractor } from './engines/composite.ts';

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

/** A SubmodelExtractor over a model writer (`writeModel` of src/lib/tflite). */
export function sliceExtractor(write: (model: Model) => Uint8Array): SubmodelExtractor {
  return (model, _bytes, first, last, inputs, outputs) => write(sliceModel(model, first, last, inputs, outputs));
}
