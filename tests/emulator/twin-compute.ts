/**
 * The virtual Coral's compute function from a model's CPU twin on a LiteRT.js runtime given by the
 * caller: the worker's WASM build in the browser test build (files served from our own origin),
 * the Node loader in unit tests (node-twin.ts). Compiled models keep the twin's tensor names, so the Edge TPU op's
 * inputs and outputs are cut out of the twin by name. Browser-safe: no Node imports. What it
 * computes is a test double's answer, never a hardware result.
 */
import { type LiteRtRuntime, type TensorArray } from '../../src/lib/runtime/index.ts';
import { readModel, sliceModel, writeModel } from '../../src/lib/tflite/index.ts';
import type { ComputeFn } from './app-function.ts';
import { readEmulatedModel } from './executable-model.ts';

/** Layer bytes as the twin tensor's element type (copied, so the typed array is aligned). */
export function typed(bytes: Uint8Array, dtype: string): TensorArray {
  const copy = bytes.slice();
  if (dtype === 'int8') return new Int8Array(copy.buffer);
  if (dtype === 'int16') return new Int16Array(copy.buffer);
  if (dtype === 'int32') return new Int32Array(copy.buffer);
  if (dtype === 'float32') return new Float32Array(copy.buffer);
  return copy;
}

export async function twinComputeOn(
  runtime: LiteRtRuntime,
  compiledBytes: Uint8Array,
  twinBytes: Uint8Array,
): Promise<ComputeFn> {
  const compiled = readModel(compiledBytes);
  const program = readEmulatedModel(compiledBytes);
  const op = program.op;
  const compiledTensors = compiled.subgraphs[op.subgraphIndex]!.tensors;
  const twin = readModel(twinBytes);
  const subgraph = twin.subgraphs[0]!;
  const byName = (name: string): number => {
    const index = subgraph.tensors.findIndex((t) => t.name === name);
    if (index < 0) throw new Error(`virtual Coral twin: no tensor named ${name}`);
    return index;
  };
  const inputs = op.inputs.map((t) => byName(compiledTensors[t]!.name));
  const outputs = op.outputs.map((t) => byName(compiledTensors[t]!.name));
  const first = Math.min(
    ...subgraph.operators.map((o, i) => (o.inputs.some((t) => inputs.includes(t)) ? i : Infinity)),
  );
  const last = Math.max(...outputs.map((t) => subgraph.operators.findIndex((o) => o.outputs.includes(t))));
  // A slice even of the whole graph: its outputs then come in exactly the op's order.
  const graph = await runtime.compile(writeModel(sliceModel(twin, first, last, inputs, outputs)));
  const inLayers = program.main.inputLayers;
  const outLayers = program.main.outputLayers;
  return async (values) => {
    const arrays = inLayers.map((layer, i) => typed(values.get(layer.name)!, subgraph.tensors[inputs[i]!]!.dtype));
    const result = await graph.run(arrays);
    return new Map(
      outLayers.map((layer, i) => {
        const data = result[i]!.data;
        return [layer.name, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)] as const;
      }),
    );
  };
}
