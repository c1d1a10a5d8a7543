/**
 * How V8 compiles LiteRT's 9 MB WebAssembly module for a short `reef run`. By default V8 starts
 * every function on its baseline compiler (Liftoff) and recompiles the hot ones with TurboFan in
 * the background. For a handful of inferences that recompilation costs far more than it saves:
 * measured here on MobileNet 0.25/128, one `reef run` took 0.78 s of CPU with tier-up and 0.26 s
 * with Liftoff only, and its first inference 110–170 ms against 25–30 ms; after ~20 runs TurboFan
 * code is faster (≈2 ms against ≈4 ms a run). So short runs stay on Liftoff; long ones tier up.
 * `REEF_WASM_TIER_UP=1` forces tier-up (to compare).
 */
import { setFlagsFromString } from 'node:v8';

/** At most this many inferences in one process run on Liftoff code only. */
export const LIFTOFF_ONLY_MAX_RUNS = 16;

/**
 * Chooses the WASM compilation tiers for `expectedRuns` inferences. Must run before LiteRT's
 * module is compiled (the flag applies to modules compiled after it); returns whether Liftoff-only
 * was chosen.
 */
export function chooseWasmTiers(expectedRuns: number): boolean {
  if (process.env['REEF_WASM_TIER_UP'] || expectedRuns > LIFTOFF_ONLY_MAX_RUNS) return false;
  setFlagsFromString('--liftoff-only');
  return true;
}
