/**
 * How V8 compiles LiteRT's 9 MB WebAssembly module for a short `reef run`. By default V8 starts
 * every function on its baseline compiler (Liftoff) and recompiles the hot ones with TurboFan in
 * the background. For a few inferences that recompilation costs far more than it saves. Measured
 * here (Node 20, `reef run` wall / CPU):
 * - MobileNet 0.25/128, 1 run: 0.78 s CPU with tier-up, 0.26 s Liftoff-only; 50 runs: 1.00 s
 *   against 0.51 s; 300 runs: even (1.64 s both).
 * - MobileNet 224 extractor, 30 runs: tier-up wins (2.03 s against 2.35 s; 29 ms against 57 ms a run).
 * - DeepLab, 3 runs: Liftoff 169 ms a run against 240 ms.
 * TurboFan pays off after an amount of work that grows with the model: runs × model bytes is the
 * proxy. `REEF_WASM_TIER_UP=1` forces tier-up (to compare).
 */
import { setFlagsFromString } from 'node:v8';

/** Up to this many runs × model bytes, LiteRT's WASM stays on Liftoff code. */
export const LIFTOFF_ONLY_MAX_WORK = 48 * 1024 * 1024;

/**
 * Chooses the WASM compilation tiers for `runs` inferences of a model of `modelBytes`. Must run
 * before LiteRT's module is compiled (the flag applies to modules compiled after it); returns
 * whether Liftoff-only was chosen.
 */
export function chooseWasmTiers(runs: number, modelBytes: number): boolean {
  if (process.env['REEF_WASM_TIER_UP'] || runs * modelBytes > LIFTOFF_ONLY_MAX_WORK) return false;
  setFlagsFromString('--liftoff-only');
  return true;
}
