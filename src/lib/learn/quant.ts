/**
 * Quantization arithmetic shared by the head quantizer and full-model PTQ. Conventions are
 * TFLite's: real = scale × (q − zeroPoint); activations asymmetric with 0 exactly representable;
 * int8 weights symmetric in [−127, 127] with zero point 0; biases int32 with
 * scale = inputScale × weightScale and zero point 0.
 */
import { ReefError } from '../errors.ts';

export type QuantDType = 'uint8' | 'int8';

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/** Round half away from zero, as TFLite's quantizer does (Math.round rounds −0.5 up). */
export function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

export const QMIN: Record<QuantDType, number> = { uint8: 0, int8: -128 };
export const QMAX: Record<QuantDType, number> = { uint8: 255, int8: 127 };

/** Asymmetric parameters covering [min, max] (widened to include 0). */
export function chooseActivationParams(min: number, max: number, dtype: QuantDType): QuantParams {
  if (!Number.isFinite(min) || !Number.isFinite(max))
    throw new ReefError('INVALID_ARGUMENT', `activation range [${min}, ${max}] is not finite`, {
      reason: 'non-finite-range',
    });
  const lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  // A tensor that is always 0 still needs a usable scale.
  if (hi - lo < 1e-8) hi = lo + 1e-8;
  const qmin = QMIN[dtype];
  const qmax = QMAX[dtype];
  const scale = (hi - lo) / (qmax - qmin);
  const zeroPoint = Math.min(qmax, Math.max(qmin, Math.round(qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** The same real range expressed in the other 8-bit type (uint8 ⇄ int8 differ by 128 in zero point). */
export function convertParams(params: QuantParams, from: QuantDType, to: QuantDType): QuantParams {
  if (from === to) return params;
  return { scale: params.scale, zeroPoint: params.zeroPoint + (to === 'uint8' ? 128 : -128) };
}

export function quantizeValue(value: number, params: QuantParams, dtype: QuantDType): number {
  const q = roundHalfAway(value / params.scale) + params.zeroPoint;
  return Math.min(QMAX[dtype], Math.max(QMIN[dtype], q));
}

export function quantizeArray(
  values: ArrayLike<number>,
  params: QuantParams,
  dtype: QuantDType,
): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = quantizeValue(values[i]!, params, dtype);
  return out;
}

export interface QuantizedWeights {
  data: Int8Array | Uint8Array;
  scales: number[];
  zeroPoints: number[];
  /** Axis the scales run along (meaningless for per-tensor). */
  axis: number;
}

/**
 * Symmetric int8 weights, one scale per slice along `axis` of a row-major tensor of `shape`
 * (per-channel), or one for the whole tensor when `axis` is undefined.
 */
export function quantizeWeightsSymmetric(
  values: Float32Array,
  shape: readonly number[],
  axis: number | undefined,
): QuantizedWeights {
  const channels = axis === undefined ? 1 : shape[axis]!;
  const inner = axis === undefined ? values.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(values[i]!));
  }
  // An all-zero channel gets a tiny nonzero scale: TFLite rejects scale 0.
  const scales = Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1e-9));
  const data = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAway(values[i]! / scales[channelOf(i)]!);
    data[i] = Math.min(127, Math.max(-127, q));
  }
  return { data, scales, zeroPoints: scales.map(() => 0), axis: axis ?? 0 };
}

/** Asymmetric per-tensor uint8 weights (what uint8 TFLite kernels require). */
export function quantizeWeightsUint8(values: Float32Array): QuantizedWeights {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const params = chooseActivationParams(min, max, 'uint8');
  return {
    data: quantizeArray(values, params, 'uint8'),
    scales: [params.scale],
    zeroPoints: [params.zeroPoint],
    axis: 0,
  };
}

/** int32 biases at scale inputScale × weightScale[c]. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: readonly number[]): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const scale = inputScale * weightScales[weightScales.length === 1 ? 0 : c]!;
    out[c] = Math.max(-2147483647, Math.min(2147483647, roundHalfAway(bias[c]! / scale)));
  }
  return out;
}

/** Range of the middle `percentile` % of values (outliers clipped), always containing 0. */
export function percentileRange(values: Float32Array, percentile: number): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 0 };
  const sorted = Float32Array.from(values).sort();
  const tail = (1 - percentile / 100) / 2;
  const lo = sorted[Math.floor(tail * (sorted.length - 1))]!;
  const hi = sorted[Math.ceil((1 - tail) * (sorted.length - 1))]!;
  return { min: Math.min(lo, 0), max: Math.max(hi, 0) };
}
