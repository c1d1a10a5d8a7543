/**
 * Reef's WASM engine: LiteRT.js behind the partitioner, with Reef kernels for what LiteRT.js lacks.
 * The same class runs in the accelerator worker (threaded build when cross-origin isolated) and in
 * Node for the CLI; only the `LiteRtLoader` differs. Every model gets all the threads the build has
 * (LiteRT.js's own default): measured in Chromium on 2 cores, whole calls through the worker were
 * faster with 2 threads than with 1 on every model, the smallest too (npm run bench -- wasm-engine:
 * MobileNet 0.25/128 1.29 vs 1.82 ms a call, MoveNet 8.9 vs 11.8 ms). A per-model choice made by
 * timing both counts at load was tried and removed: its few timed runs right after compiling picked
 * 1 thread, which then lost on every call.
 */
import { LiteRtRuntime, type LiteRtLoader } from '../litert-runtime.ts';
import type { ReefKernel } from '../kernels/registry.ts';
import { PartitionedEngine, type SubmodelExtractor } from './composite.ts';

export class WasmEngine extends PartitionedEngine {
  constructor(loader: LiteRtLoader, options: { extract?: SubmodelExtractor; kernels?: readonly ReefKernel[] } = {}) {
    super({ runtime: new LiteRtRuntime(loader), ...options });
  }
}
