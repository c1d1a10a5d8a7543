/**
 * The ladder's calibration: a few timed runs of one model per candidate engine on one deterministic
 * input, and the check that each candidate's outputs agree with the WASM engine's (the reference:
 * LiteRT's CPU kernels are TFLite's reference arithmetic).
 *
 * Agreement, per output tensor (the tolerance is the model's own, so it is documented here):
 * - quantized outputs (scale > 0): every element within 3 quantization steps (3 × scale) of the
 *   reference. The Edge TPU and LiteRT round differently inside a layer; more than a few steps
 *   apart is a different result, not rounding.
 * - float outputs: every element within 2% of the reference tensor's largest magnitude (at least
 *   1e-4). GPU kernels may compute in fp16 (≈3 significant digits) across dozens of layers, so an
 *   element-wise relative bound would reject correct results near zero.
 * - integer outputs without a scale (class ids, counts): exactly equal.
 * A shape or element-type mismatch is never agreement.
 */
import {
  allocateTensorArray,
  dequantize,
  elementCount,
  type LoadedModel,
  type Tensor,
  type TensorArray,
  type TensorInfo,
} from '../engine.ts';

export const QUANTIZED_STEPS = 3;
export const FLOAT_RELATIVE = 0.02;

export interface CalibrationOptions {
  /** Most timed runs per candidate, after one untimed warm-up run (whose outputs are checked). */
  runs: number;
  /**
   * A candidate's time cap: its warm-up and timed runs together. Once spent, no further timed run
   * (at least one is timed), so a slow model costs a few of its own runs, not `runs` of them.
   */
  budgetMs: number;
  /**
   * The sequential test's margin: after two timed runs, a candidate whose every run is this many
   * times faster than the best median so far (or slower than it) is decided, and so is one whose
   * runs agree within half the margin (`(margin - 1) / 2` of their median): more runs would not
   * change the order.
   */
  margin: number;
  /**
   * The most a candidate other than the WASM reference may take to load the model and make its
   * first run (its runtime's one-time start excluded); past it, it is not measured and the answer
   * says so. A GPU compiles its shaders there: tens to hundreds of ms on real GPUs, 1–1.5 s per
   * model on SwiftShader (a CPU emulation, 15–60× slower than WASM in every run), and more for a
   * model whose every run takes seconds there. Lower would save SwiftShader's GPU its measurement
   * on small models too, and the GPU would never be measured on this machine.
   */
  capMs: number;
  /**
   * How long a load waits for the whole calibration, from its start. The WASM reference is always
   * measured first, however long it takes; past this, the model is handed out on WASM and the
   * other engines are measured in the background, the winner taking over between two runs
   * (SwitchableModel). A real GPU compiles a small model's shaders within it; SwiftShader does not.
   */
  blockMs: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = {
  runs: 5,
  budgetMs: 200,
  margin: 1.25,
  capMs: 3000,
  blockMs: 500,
};

/**
 * The same input every time for a model (so cached choices and benchmarks compare like with like):
 * a fixed pseudo-random pattern in each input's own type — floats in [-1, 1), quantized values over
 * the whole range, small integers for index inputs.
 */
export function calibrationInputs(inputs: readonly TensorInfo[]): TensorArray[] {
  return inputs.map((info, k) => {
    const data = allocateTensorArray(info.dtype, elementCount(info.shape));
    let state = 0x9e3779b9 ^ (k + 1);
    const next = (): number => {
      // xorshift32: deterministic and the same in every JavaScript engine.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    for (let i = 0; i < data.length; i++) {
      const r = next();
      if (data instanceof Float32Array) data[i] = r * 2 - 1;
      else if (data instanceof Uint8Array) data[i] = Math.floor(r * 256);
      else if (data instanceof Int8Array) data[i] = Math.floor(r * 256) - 128;
      else if (data instanceof Int16Array) data[i] = Math.floor(r * 256) - 128;
      else if (data instanceof BigInt64Array) data[i] = BigInt(Math.floor(r * 4));
      else data[i] = Math.floor(r * 4);
    }
    return data;
  });
}

export interface Agreement {
  ok: boolean;
  /** Largest difference over all outputs, in the units the tolerance is stated in. */
  maxError: number;
  /** The tolerance of the output with the largest error relative to its own tolerance. */
  tolerance: number;
  /** Why not, in words (first output that disagrees). */
  reason?: string;
}

function toleranceFor(reference: Tensor, values: Float32Array): number {
  if (reference.scale > 0) return QUANTIZED_STEPS * reference.scale;
  if (reference.dtype !== 'float32') return 0;
  let peak = 0;
  for (const v of values) peak = Math.max(peak, Math.abs(v));
  return Math.max(FLOAT_RELATIVE * peak, 1e-4);
}

/** Does `candidate` agree with `reference` within each output's tolerance (see the file comment)? */
export function compareOutputs(reference: readonly Tensor[], candidate: readonly Tensor[]): Agreement {
  if (reference.length !== candidate.length) {
    return {
      ok: false,
      maxError: Infinity,
      tolerance: 0,
      reason: `${candidate.length} outputs, the reference has ${reference.length}`,
    };
  }
  let worst: Agreement = { ok: true, maxError: 0, tolerance: 0 };
  let worstRatio = -1;
  for (let k = 0; k < reference.length; k++) {
    const ref = reference[k]!;
    const got = candidate[k]!;
    if (ref.data.length !== got.data.length || ref.shape.join('x') !== got.shape.join('x')) {
      return {
        ok: false,
        maxError: Infinity,
        tolerance: 0,
        reason: `output ${k} has shape [${got.shape.join(', ')}], the reference [${ref.shape.join(', ')}]`,
      };
    }
    const a = dequantize(ref);
    const tolerance = toleranceFor(ref, a);
    let maxError = 0;
    if (
      ref.scale > 0 &&
      got.scale === ref.scale &&
      got.zeroPoint === ref.zeroPoint &&
      !(ref.data instanceof BigInt64Array)
    ) {
      // Same quantization: count whole steps (float rounding of (q - z) × s must not turn 3 steps into "more than 3").
      let steps = 0;
      for (let i = 0; i < ref.data.length; i++)
        steps = Math.max(steps, Math.abs((ref.data[i] as number) - (got.data[i] as number)));
      maxError = steps <= QUANTIZED_STEPS ? Math.min(steps * ref.scale, tolerance) : steps * ref.scale;
    } else {
      const b = dequantize(got);
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i]! - b[i]!);
        // NaN anywhere is a disagreement.
        maxError = Number.isNaN(d) ? Infinity : Math.max(maxError, d);
      }
    }
    const ratio = tolerance === 0 ? (maxError === 0 ? 0 : Infinity) : maxError / tolerance;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = { ok: maxError <= tolerance, maxError, tolerance };
      if (!worst.ok) {
        worst.reason = `output ${k} differs from WASM by ${maxError.toPrecision(3)} (tolerance ${tolerance.toPrecision(3)})`;
      }
    }
  }
  return worst;
}

export interface Timing {
  /** Median of the timed runs' own wall times (`RunResult.ms`: copies in and out included). */
  medianMs: number;
  samplesMs: number[];
  /** Wall time of the warm-up run (first-run work: shader compilation, allocation). */
  warmUpMs: number;
  /** Why timing stopped: every run made, the time cap, out of the race, or decided by the margin. */
  stop: 'runs' | 'budget' | 'out' | 'decided';
}

/**
 * Timed runs after a warm-up (`warm`: its outputs are what the agreement check uses), until one of:
 * - `runs` timed runs are made;
 * - the candidate's budget (warm-up included) is spent, with at least one timed run;
 * - a timed run is more than twice `bestMs` (the fastest median so far): it cannot win (`out`);
 * - after two timed runs the order is decided (`decided`): every run is `margin` times faster than
 *   `bestMs`, or `margin` times slower, or the runs agree within half the margin.
 * Every rule looks only at this candidate's own runs and the best median, so the choice is still
 * the fastest median; the rules only stop measuring what more runs would not change.
 */
export async function timeRuns(
  model: LoadedModel,
  inputs: readonly TensorArray[],
  options: CalibrationOptions,
  warmUpMs: number,
  bestMs = Infinity,
): Promise<Timing> {
  const samplesMs: number[] = [];
  let spent = warmUpMs;
  let stop: Timing['stop'] = 'runs';
  while (samplesMs.length < options.runs) {
    if (samplesMs.length >= 1 && spent >= options.budgetMs) {
      stop = 'budget';
      break;
    }
    const { ms } = await model.run(inputs);
    samplesMs.push(ms);
    spent += ms;
    if (ms > 2 * bestMs) {
      stop = 'out';
      break;
    }
    if (samplesMs.length >= 2 && decided(samplesMs, bestMs, options.margin)) {
      stop = 'decided';
      break;
    }
  }
  return { medianMs: median(samplesMs), samplesMs, warmUpMs, stop };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function decided(samplesMs: readonly number[], bestMs: number, margin: number): boolean {
  const slowest = Math.max(...samplesMs);
  const fastest = Math.min(...samplesMs);
  if (Number.isFinite(bestMs) && (slowest * margin < bestMs || fastest > bestMs * margin)) return true;
  return slowest - fastest <= (median(samplesMs) * (margin - 1)) / 2;
}
