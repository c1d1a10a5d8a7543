/**
 * The engine registry, in the spirit of tfjs-core's backend registry: each engine registers once
 * with a factory (how it loads a model on one of its devices), its capabilities (what it can run)
 * and an availability probe. Nothing else in Reef assembles engines; the scheduler asks the registry
 * what exists now and why the rest does not.
 */
import { ReefError } from '../../errors.ts';
import type { DType, LoadedModel } from '../engine.ts';

/** The rungs of the ladder, fastest hardware first. */
export type EngineKind = 'edgetpu' | 'webgpu' | 'webnn' | 'wasm';

export interface EngineCapabilities {
  /** Runs the Edge TPU's `edgetpu-custom-op` (compiled models); the others need the CPU twin. */
  edgeTpuOps: boolean;
  /** Element types of model inputs and outputs it can take and hand back. */
  dtypes: readonly DType[];
  /** Runs quantized (int8/uint8) arithmetic inside the graph; the WebGPU path has no int8 kernels. */
  quantized: boolean;
  /** Runs Reef's own kernels (ops LiteRT lacks: detection post-processing, PoseNet decoding, …). */
  reefKernels: boolean;
}

/** Whether an engine can be used now: on which devices, or why not (never an empty "no"). */
export type EngineProbe = { available: true; devices: string[] } | { available: false; reason: string };

export interface EngineLoadOptions {
  /** Shown with the model where the engine lists its models (e.g. a TPU's placed models). */
  name?: string;
  /**
   * Set only for a compiled model on an engine without the Edge TPU op: the CPU version it runs
   * instead (the engine names its result as the twin's).
   */
  cpuTwin?: Uint8Array;
}

export interface EngineFactory {
  readonly kind: EngineKind;
  /** Plain words for people: "GPU (WebGPU)", "CPU (WebAssembly)", "Coral". */
  readonly label: string;
  /** Order in the ladder and tie-break between equal timings (higher first), as in tfjs-core. */
  readonly priority: number;
  readonly capabilities: EngineCapabilities;
  probe(): Promise<EngineProbe>;
  /**
   * Starts the engine's runtime, once per session (a GPU device, a LiteRT instance), so that the
   * calibration can tell that one-time cost from a model's own load. Optional: engines without one
   * start inside their first load.
   */
  start?(): Promise<void>;
  /**
   * Loads the model on `device` (one of the probe's devices, or for the Edge TPU `usb` to let the
   * device pool place it). For a compiled model on an engine without `edgeTpuOps`, `cpuTwin` is
   * what it runs.
   */
  load(bytes: Uint8Array, device: string, options?: EngineLoadOptions): Promise<LoadedModel>;
}

export class EngineRegistry {
  readonly #factories = new Map<EngineKind, EngineFactory>();

  /** Registers an engine; registering a kind twice is a programming error. */
  register(factory: EngineFactory): void {
    if (this.#factories.has(factory.kind)) {
      throw new ReefError('FAILED_PRECONDITION', `engine ${factory.kind} is registered already`, {
        reason: 'engine-registered',
      });
    }
    this.#factories.set(factory.kind, factory);
  }

  unregister(kind: EngineKind): boolean {
    return this.#factories.delete(kind);
  }

  get(kind: EngineKind): EngineFactory | undefined {
    return this.#factories.get(kind);
  }

  /** Every registered engine, highest priority first. */
  list(): EngineFactory[] {
    return [...this.#factories.values()].sort((a, b) => b.priority - a.priority);
  }
}

/** Plain-words name of an engine on a device, e.g. "Coral usb:0", "GPU (WebGPU)". */
export function engineLabel(factory: Pick<EngineFactory, 'kind' | 'label'>, device: string): string {
  return factory.kind === 'edgetpu' ? `${factory.label} ${device}` : factory.label;
}
