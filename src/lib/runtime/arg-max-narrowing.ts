/**
 * INT64 ARG_MAX outputs (DeepLab's 513×513 class map) narrowed to INT32 at load, so LiteRT.js runs
 * the op in its own compiled kernel: its public API cannot hand back INT64 tensors, and the same
 * search in TypeScript made DeepLab 1.4× slower than LiteRT alone. The class index is below the
 * axis size, so INT32 holds it exactly; the result is widened back to INT64 and the model's
 * outputs keep the dtype its file declares.
 *
 * Only ARG_MAX outputs that are model outputs and feed no other op are narrowed: a consumer would
 * see a different type. Anything else stays with Reef's ARG_MAX kernel.
 */
import type { Model } from '../tflite/index.ts';
import type { LoadedModel, RunResult, TensorArray } from './engine.ts';

export interface NarrowedArgMax {
  model: Model;
  /** Subgraph 0 output positions whose tensors were narrowed to INT32. */
  outputPositions: number[];
}

/** `model` with its narrowable INT64 ARG_MAX outputs made INT32, or null when there are none. */
export function narrowArgMaxOutputs(model: Model): NarrowedArgMax | null {
  const subgraph = model.subgraphs[0];
  if (!subgraph) return null;
  const consumed = new Set(subgraph.operators.flatMap((op) => op.inputs));
  const narrow = new Set<number>();
  for (const op of subgraph.operators) {
    const code = model.operatorCodes[op.opcodeIndex];
    const out = op.outputs[0];
    if (code?.builtinName !== 'ARG_MAX' || op.outputs.length !== 1 || out === undefined) continue;
    const tensor = subgraph.tensors[out];
    if (tensor?.dtype !== 'int64' || consumed.has(out) || !subgraph.outputs.includes(out)) continue;
    if (op.builtinOptions?.kind !== 'ArgMaxOptions') continue;
    narrow.add(out);
  }
  if (narrow.size === 0) return null;
  const narrowed: Model = {
    ...model,
    subgraphs: model.subgraphs.map((s, i) =>
      i !== 0
        ? s
        : {
            ...s,
            tensors: s.tensors.map((t, k) => (narrow.has(k) ? { ...t, dtype: 'int32' as const } : t)),
            operators: s.operators.map((op) =>
              narrow.has(op.outputs[0]!)
                ? { ...op, builtinOptions: { kind: 'ArgMaxOptions', outputType: 'int32' } }
                : op,
            ),
          },
    ),
  };
  const outputPositions = subgraph.outputs.flatMap((t, i) => (narrow.has(t) ? [i] : []));
  return { model: narrowed, outputPositions };
}

/** INT32 class indices as the INT64 tensor the model declares (little-endian words, high word 0). */
export function widenToInt64(data: TensorArray): BigInt64Array {
  if (!(data instanceof Int32Array)) return data as BigInt64Array;
  const out = new BigInt64Array(data.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < data.length; i++) {
    words[2 * i] = data[i]!;
    // Indices are never negative; kept general all the same: the sign extends into the high word.
    words[2 * i + 1] = data[i]! >> 31;
  }
  return out;
}

/** `loaded` reporting, and returning, INT64 at the narrowed output positions. */
export function widenArgMaxOutputs(loaded: LoadedModel, outputPositions: readonly number[]): LoadedModel {
  const positions = new Set(outputPositions);
  const outputs = loaded.outputs.map((o, i) => (positions.has(i) ? { ...o, dtype: 'int64' as const } : o));
  return {
    inputs: loaded.inputs,
    outputs,
    engine: loaded.engine,
    device: loaded.device,
    async run(inputs): Promise<RunResult> {
      const result = await loaded.run(inputs);
      const start = performance.now();
      const outputs = result.outputs.map((o, i) =>
        positions.has(i) ? { ...o, dtype: 'int64' as const, data: widenToInt64(o.data) } : o,
      );
      // `ms` is the whole run, the widening copy included.
      return { ...result, outputs, ms: result.ms + (performance.now() - start) };
    },
    dispose: () => loaded.dispose(),
  };
}
