/**
 * The Edge TPU engine: compiled models on one opened Coral. The `edgetpu-custom-op` runs on the
 * driver; CPU ops before and after it (post-processing, casts, resizes) run on LiteRT.js and Reef
 * kernels through the partitioned engine, so any compiled model runs end to end. Results name the
 * device (`usb:N+cpu` when CPU ops took part).
 */
import { createEdgeTpuOpRunner, type EdgeTpu } from '../../edgetpu/index.ts';
import type { ReefKernel } from '../kernels/registry.ts';
import { LiteRtRuntime, type LiteRtLoader } from '../litert-runtime.ts';
import { PartitionedEngine, type SubmodelExtractor } from './composite.ts';

export interface EdgeTpuEngineOptions {
  /** Loads LiteRT.js for the CPU ops (worker or Node loader). */
  loader: LiteRtLoader;
  /** Device id in results, e.g. `usb:0` (default: the driver's label). */
  device?: string;
  /** Close the Edge TPU when the engine is disposed (default false: the caller owns the device). */
  closeDevice?: boolean;
  extract?: SubmodelExtractor;
  kernels?: readonly ReefKernel[];
}

export class EdgeTpuEngine extends PartitionedEngine {
  readonly tpu: EdgeTpu;
  readonly #closeDevice: boolean;
  /** Resolves once the device was closed by `dispose()` (with `closeDevice`). */
  closed: Promise<void> = Promise.resolve();

  constructor(tpu: EdgeTpu, options: EdgeTpuEngineOptions) {
    super({
      runtime: new LiteRtRuntime(options.loader),
      tpu: createEdgeTpuOpRunner(tpu, options.device ?? tpu.options.label),
      ...(options.extract ? { extract: options.extract } : {}),
      ...(options.kernels ? { kernels: options.kernels } : {}),
    });
    this.tpu = tpu;
    this.#closeDevice = options.closeDevice ?? false;
  }

  override dispose(): void {
    super.dispose();
    if (this.#closeDevice) this.closed = this.tpu.close();
  }
}
