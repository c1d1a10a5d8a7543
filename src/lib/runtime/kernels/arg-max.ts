/**
 * ARG_MAX over the last axis with an int64 (or int32) result. LiteRT.js computes it but cannot
 * return INT64 tensors through its public API (DeepLab's output), so Reef runs it here. Ties keep
 * the first index, as TFLite does. Quantized inputs are compared raw: the order is the same.
 */
import { ReefError } from '../../errors.ts';
import type { TensorArray } from '../engine.ts';

export function argMax(
  values: Exclude<TensorArray, BigInt64Array>,
  shape: readonly number[],
  axis: number,
  outputType: 'int64' | 'int32',
): BigInt64Array | Int32Array {
  const rank = shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new ReefError('INVALID_ARGUMENT', `ARG_MAX: axis ${axis} for rank ${rank}`, { reason: 'bad-axis' });
  }
  const outer = shape.slice(0, a).reduce((n, d) => n * d, 1);
  const size = shape[a]!;
  const inner = shape.slice(a + 1).reduce((n, d) => n * d, 1);
  // int64 results are written as little-endian int32 pairs (indices fit in 31 bits): creating a
  // BigInt per element costs more than the search itself.
  const out = outputType === 'int64' ? new BigInt64Array(outer * inner) : new Int32Array(outer * inner);
  const words = out instanceof BigInt64Array ? new Int32Array(out.buffer) : out;
  const stride = out instanceof BigInt64Array ? 2 : 1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = 0;
      let bestValue = values[base]!;
      for (let k = 1; k < size; k++) {
        const v = values[base + k * inner]!;
        if (v > bestValue) {
          bestValue = v;
          best = k;
        }
      }
      words[(o * inner + i) * stride] = best;
    }
  }
  return out;
}
