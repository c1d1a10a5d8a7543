/**
 * Node-only: a model's CPU twin as the virtual Coral's compute function. Compiled models keep the
 * twin's tensor names, so the Edge TPU op's inputs and outputs are cut out of the twin by name and
 * run in LiteRT.js (the same slicing the runtime's composite tests use). The result is what the
 * emulator writes on the output endpoint: a test double, never a hardware result.
 */
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { LiteRtRuntime, WasmEngine } from '../../src/lib/runtime/index.ts';
import { readModel } from '../../src/lib/tflite/index.ts';
import { syntheticOutputs, type ComputeFn } from './app-function.ts';
import { readEmulatedModel, type EmulatedModel } from './executable-model.ts';
import { twinComputeOn, typed } from './twin-compute.ts';

let shared: LiteRtRuntime | undefined;

export async function twinCompute(compiledBytes: Uint8Array, twinBytes: Uint8Array): Promise<ComputeFn> {
  const tensors = readModel(twinBytes).subgraphs[0]!.tensors;
  if (tensors.some((t) => t.isVariable)) return statefulTwin(readEmulatedModel(compiledBytes), twinBytes, tensors);
  shared ??= new LiteRtRuntime(nodeLiteRtLoader);
  return twinComputeOn(shared, compiledBytes, twinBytes);
}

let engine: WasmEngine | undefined;

/**
 * Twins with variable tensors (LSTM state) do not load in LiteRT.js; the runtime's WASM engine runs
 * them with its Reef LSTM kernel, whole, which starts each run from zero state. So this compute takes
 * the non-state inputs by name, insists that the state the host sent is TFLite's reset state (the only
 * state the twin can model), and answers the `_variable_output` layers with deterministic bytes mixed from the
 * inputs: the twin does not expose the final state, and a test can still check the driver writes
 * exactly those bytes back (§4.9).
 */
async function statefulTwin(
  program: EmulatedModel,
  twinBytes: Uint8Array,
  tensors: readonly { name: string; isVariable: boolean }[],
): Promise<ComputeFn> {
  engine ??= new WasmEngine(nodeLiteRtLoader);
  const loaded = await engine.load(twinBytes);
  const exe = program.main;
  const stateNames = new Set(tensors.filter((t) => t.isVariable).map((t) => t.name));
  return async (values) => {
    for (const layer of exe.inputLayers) {
      // TFLite's reset state: the zero point for int8 (a real 0), zero bytes otherwise.
      const reset = layer.dataType === 'int8' ? layer.zeroPoint & 0xff : 0;
      if (stateNames.has(layer.name) && values.get(layer.name)!.some((b) => b !== reset)) {
        throw new Error(`twin: ${layer.name} carries LSTM state other than reset; the CPU twin starts every run reset`);
      }
    }
    const arrays = loaded.inputs.map((info) => {
      const bytes = values.get(info.name);
      if (!bytes) throw new Error(`twin input ${info.name} is not an Edge TPU input layer`);
      return typed(bytes, info.dtype);
    });
    const result = await loaded.run(arrays);
    const out = new Map<string, Uint8Array>();
    const synthetic = syntheticOutputs(exe, values);
    for (const layer of exe.outputLayers) {
      const found = result.outputs.find((t) => t.name === layer.name);
      const data = found?.data;
      if (!data && !layer.name.endsWith('_variable_output')) throw new Error(`the twin has no output ${layer.name}`);
      out.set(
        layer.name,
        data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : synthetic.get(layer.name)!,
      );
    }
    return out;
  };
}
