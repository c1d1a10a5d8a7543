/** Runs .tflite bytes with Reef's WASM engine (LiteRT.js) in this Node process. */
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { WasmEngine, type LoadedModel, type TensorArray } from '../../../src/lib/runtime/index.ts';

let engine: WasmEngine | undefined;

export function wasmEngine(): WasmEngine {
  engine ??= new WasmEngine(nodeLiteRtLoader);
  return engine;
}

export interface LiteRtModel {
  model: LoadedModel;
  /** Runs one input and returns the first output's raw data. */
  run(input: TensorArray): Promise<TensorArray>;
  delete(): void;
}

export async function loadLiteRtModel(bytes: Uint8Array): Promise<LiteRtModel> {
  const model = await wasmEngine().load(bytes);
  return {
    model,
    async run(input) {
      const result = await model.run([input]);
      return result.outputs[0]!.data;
    },
    delete: () => model.dispose(),
  };
}

export function argMax(data: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (Number(data[i]) > Number(data[best])) best = i;
  return best;
}

/**
 * True when `expected` has the highest quantized score. Quantized probabilities move in steps of
 * 1/256, so two near-equal classes can tie: a tie that includes the float model's choice is not a
 * disagreement.
 */
export function topIncludes(scores: ArrayLike<number | bigint>, expected: number): boolean {
  return Number(scores[expected]) === Number(scores[argMax(scores)]);
}
