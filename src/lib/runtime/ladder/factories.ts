/**
 * The engines Reef registers on its ladder, each with its capabilities and probe. The Edge TPU's
 * factory is given its probe and loader by whoever holds the device pool (the worker, the CLI):
 * placement across several TPUs stays in the pool, the ladder only asks it for a model.
 */
import type { LoadedModel } from '../engine.ts';
import type { LoadOptions } from '../engines/composite.ts';
import { LiteRtGpuEngine, requestLiteRtGpuDevice } from '../engines/litert-gpu.ts';
import type { LiteRtLoader } from '../litert-runtime.ts';
import type { EngineCapabilities, EngineFactory, EngineLoadOptions, EngineProbe } from './registry.ts';

const ALL_DTYPES = ['float32', 'int32', 'uint8', 'int8', 'int16', 'int64', 'bool'] as const;

/** The CPU engine: LiteRT.js threaded WASM plus Reef kernels. Always there; the reference for `auto`. */
export function wasmFactory(engine: {
  load(bytes: Uint8Array, options?: LoadOptions): Promise<LoadedModel>;
}): EngineFactory {
  return {
    kind: 'wasm',
    label: 'CPU (WebAssembly)',
    priority: 10,
    capabilities: { edgeTpuOps: false, dtypes: ALL_DTYPES, quantized: true, reefKernels: true },
    probe: async () => ({ available: true, devices: ['cpu'] }),
    load: (bytes, _device, options = {}) => engine.load(bytes, options.cpuTwin ? { cpuTwin: options.cpuTwin } : {}),
  };
}

export interface EdgeTpuFactoryOptions {
  /** Ready TPUs (`usb:N`), or why there are none, in words. */
  probe(): Promise<EngineProbe>;
  /** Loads a compiled model on `device` (`usb` lets the device pool choose). */
  load(bytes: Uint8Array, device: string, options?: EngineLoadOptions): Promise<LoadedModel>;
}

export function edgeTpuFactory(options: EdgeTpuFactoryOptions): EngineFactory {
  return {
    kind: 'edgetpu',
    label: 'Coral',
    priority: 30,
    // The TPU op itself; CPU ops around it run on LiteRT.js and Reef kernels (composite engine).
    capabilities: { edgeTpuOps: true, dtypes: ALL_DTYPES, quantized: true, reefKernels: true },
    probe: () => options.probe(),
    load: (bytes, device, loadOptions) => options.load(bytes, device, loadOptions),
  };
}

/** What the WebGPU delegate is asked to take; whether it takes every op is decided when loading. */
const GPU_CAPABILITIES: EngineCapabilities = {
  edgeTpuOps: false,
  dtypes: ['float32', 'int32', 'uint8', 'int8'],
  quantized: true,
  reefKernels: false,
};

/** "Node has" or "this browser has", for the reasons people read. */
function here(): string {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return typeof node === 'string' ? 'Node has' : 'this browser has';
}

function gpuOfThisContext(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

/**
 * LiteRT.js's WebGPU delegate. Available when this context has `navigator.gpu` and the browser
 * grants an adapter (asked once); a lost device makes it unavailable with that reason until the
 * next probe starts a fresh engine.
 */
export function webGpuFactory(
  loader: LiteRtLoader,
  gpu: GPU | undefined = gpuOfThisContext(),
): EngineFactory & {
  /** The engine in use, if one was started (benchmarks dispose it). */
  engine(): LiteRtGpuEngine | undefined;
} {
  let adapter: Promise<string | undefined> | undefined;
  let engine: LiteRtGpuEngine | undefined;
  const make = (): LiteRtGpuEngine =>
    (engine ??= new LiteRtGpuEngine(loader, {
      accelerator: 'webgpu',
      gpuDevice: () => requestLiteRtGpuDevice(gpu),
    }));
  return {
    kind: 'webgpu',
    label: 'GPU (WebGPU)',
    priority: 20,
    capabilities: GPU_CAPABILITIES,
    engine: () => engine,
    async probe(): Promise<EngineProbe> {
      if (!gpu) {
        return { available: false, reason: `${here()} no WebGPU (navigator.gpu)` };
      }
      if (engine?.lost) {
        const reason = engine.lost;
        engine.dispose();
        engine = undefined;
        adapter = undefined;
        return { available: false, reason };
      }
      adapter ??= requestLiteRtGpuDevice(gpu).then(
        (device) => {
          device.destroy();
          return undefined;
        },
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      const why = await adapter;
      return why ? { available: false, reason: why } : { available: true, devices: ['gpu'] };
    },
    start: () => make().start(),
    load: (bytes, _device, options = {}) => make().load(options.cpuTwin ?? bytes),
  };
}

/**
 * LiteRT.js's WebNN delegate, where the browser has WebNN (`navigator.ml`). Headless and most
 * desktop Chromium builds ship without it, and then it is listed as unavailable with that reason.
 */
export function webNnFactory(loader: LiteRtLoader): EngineFactory {
  let engine: LiteRtGpuEngine | undefined;
  return {
    kind: 'webnn',
    label: 'WebNN',
    priority: 15,
    capabilities: GPU_CAPABILITIES,
    async probe(): Promise<EngineProbe> {
      const ml = (globalThis as { navigator?: { ml?: unknown } }).navigator?.ml;
      if (!ml) return { available: false, reason: `${here()} no WebNN (navigator.ml)` };
      return { available: true, devices: ['webnn'] };
    },
    start: () => (engine ??= new LiteRtGpuEngine(loader, { accelerator: 'webnn' })).start(),
    load: (bytes, _device, options = {}) =>
      (engine ??= new LiteRtGpuEngine(loader, { accelerator: 'webnn' })).load(options.cpuTwin ?? bytes),
  };
}
