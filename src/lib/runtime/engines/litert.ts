/**
 * Reef's WASM engine: LiteRT.js behind the partitioner, with Reef kernels for what LiteRT.js lacks.
 * The same class runs in the accelerator worker (threaded build when cross-origin isolated) and in
 * Node for the CLI; only the `LiteRtLoader` differs.
 */
import { LiteRtRuntime, type LiteRtLoader } from '../litert-runtime.ts';
import type { ReefKernel } from '../kernels/registry.ts';
import { PartitionedEngine, type SubmodelExtractor } from './composite.ts';

export class WasmEngine extends PartitionedEngine {
  constructor(loader: LiteRtLoader, options: { extract?: SubmodelExtractor; kernels?: readonly ReefKernel[] } = {}) {
    super({ runtime: new LiteRtRuntime(loader), ...options });
  }
}
