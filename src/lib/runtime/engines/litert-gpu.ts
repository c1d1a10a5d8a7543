/**
 * LiteRT.js on an accelerator: its WebGPU delegate (and, where the browser has WebNN, its WebNN
 * delegate). The engine has its own LiteRT instance, so the CPU engine's instance stays GPU-free
 * and a lost GPU device takes only this one down.
 *
 * A model runs here only when LiteRT delegates every op to the accelerator: LiteRT.js would
 * otherwise run the rest on the CPU (or, without JSPI, quietly fall back to WASM), and a result
 * labelled "GPU" must come from the GPU. Ops that only Reef's kernels implement (detection
 * post-processing, PoseNet decoding, …) run on the CPU engine, so such models are refused with
 * that reason. LiteRT.js's JS `Tensor` wrapper copies through its global instance, so inputs and
 * outputs move through this instance's bindings here: host memory when the compiled model takes
 * it, else a GPU buffer written by the queue and read back by mapping a staging copy.
 */
import * as litert from '@litertjs/core';
import { withDeadline } from '../../deadline.ts';
import { ReefError } from '../../errors.ts';
import { readModel } from '../../tflite/index.ts';
import {
  allocateTensorArray,
  BYTES_PER_ELEMENT,
  dtypeOfArray,
  elementCount,
  type DType,
  type Engine,
  type LoadedModel,
  type RunResult,
  type TensorArray,
  type TensorInfo,
} from '../engine.ts';
import { LiteRtLogCapture, liteRtLogError, type LiteRtStage } from '../litert-log.ts';
import type { LiteRtLoader } from '../litert-runtime.ts';
import { tensorInfo } from '../model-tensors.ts';
import { partitionModel } from '../partition.ts';
import { checkTensorSizes } from '../tensor-limits.ts';

type LiteRtWasm = litert.LiteRt['liteRtWasm'];
type WasmEnv = ReturnType<LiteRtWasm['LiteRtEnvironment']['create']>;
type WasmBuffer = ReturnType<LiteRtWasm['LiteRtTensorBuffer']['createManaged']>;
type WasmCompiled = Awaited<ReturnType<LiteRtWasm['compileModel']>>;

export type LiteRtAccelerator = 'webgpu' | 'webnn';

const ELEMENT_TYPES: Record<DType, number> = { float32: 1, int32: 2, uint8: 3, int64: 4, bool: 6, int16: 7, int8: 9 };

export interface LiteRtGpuEngineOptions {
  accelerator: LiteRtAccelerator;
  /** The GPU device LiteRT runs on (WebGPU only); the engine owns it from then on. */
  gpuDevice?: () => Promise<GPUDevice>;
}

interface Instance {
  wasm: LiteRtWasm;
  env: WasmEnv;
  device: GPUDevice | null;
  log: LiteRtLogCapture;
}

/**
 * A GPU device with the limits LiteRT's WebGPU delegate asks for (the adapter's own maxima: the
 * defaults are too small for image models), or a typed error saying why there is none.
 */
export async function requestLiteRtGpuDevice(gpu: GPU | undefined, timeoutMs = 2000): Promise<GPUDevice> {
  if (!gpu) throw new ReefError('UNAVAILABLE', 'no WebGPU here (navigator.gpu is missing)', { reason: 'no-webgpu' });
  // A late, refused or blocklisted adapter all mean the same here: no adapter.
  const adapter = await withDeadline(
    gpu.requestAdapter({ powerPreference: 'high-performance' }),
    timeoutMs,
    'no WebGPU adapter in time',
  ).catch(() => null);
  if (!adapter) {
    throw new ReefError('UNAVAILABLE', 'the browser granted no WebGPU adapter', { reason: 'no-webgpu-adapter' });
  }
  const features = (['shader-f16', 'subgroups'] as const).filter((f) => adapter.features.has(f));
  return adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      maxTextureDimension2D: adapter.limits.maxTextureDimension2D,
    },
  });
}

export class LiteRtGpuEngine implements Engine {
  readonly name: string;
  readonly device: string;
  readonly #loader: LiteRtLoader;
  readonly #options: LiteRtGpuEngineOptions;
  #instance: Promise<Instance> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Set once the GPU device was lost: every later call fails with it, and the ladder stops offering it. */
  lost: string | undefined;

  constructor(loader: LiteRtLoader, options: LiteRtGpuEngineOptions) {
    this.#loader = loader;
    this.#options = options;
    this.name = `litert-${options.accelerator}`;
    this.device = options.accelerator === 'webgpu' ? 'gpu' : 'webnn';
  }

  async #create(): Promise<Instance> {
    const log = new LiteRtLogCapture();
    const device = this.#options.accelerator === 'webgpu' ? await this.#options.gpuDevice!() : null;
    void device?.lost.then((info) => {
      this.lost = `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
    });
    const loaded = await this.#loader.load({ log: log.write });
    const wasm = new litert.LiteRt(loaded.module).liteRtWasm;
    return { wasm, env: wasm.LiteRtEnvironment.create(device), device, log };
  }

  #ready(): Promise<Instance> {
    this.#instance ??= this.#create().catch((error: unknown) => {
      this.#instance = undefined;
      if (error instanceof ReefError) throw error;
      throw new ReefError('UNAVAILABLE', `${this.name}: the runtime did not start: ${String(error)}`, {
        cause: error,
        reason: 'litert-load-failed',
      });
    });
    return this.#instance;
  }

  /** One call at a time, inside a log capture: LiteRT reports failures only by logging them. */
  async guarded<T>(stage: LiteRtStage, call: (instance: Instance) => Promise<T>): Promise<T> {
    const instance = await this.#ready();
    const turn = this.#queue.then(async () => {
      if (this.lost) throw new ReefError('UNAVAILABLE', this.lost, { reason: 'gpu-lost' });
      instance.log.reset();
      let result: T;
      try {
        result = await call(instance);
      } catch (error) {
        if (instance.log.failures.length > 0) {
          throw Object.assign(liteRtLogError(instance.log.failures, stage), { cause: error });
        }
        if (error instanceof ReefError) throw error;
        // An exception from the bindings (e.g. a delegate path this build cannot take): typed, with its words.
        const what = stage === 'load' ? 'could not compile this model' : 'failed while running the model';
        throw new ReefError(
          stage === 'load' ? 'UNIMPLEMENTED' : 'INTERNAL',
          `LiteRT's ${this.#options.accelerator === 'webgpu' ? 'WebGPU' : 'WebNN'} delegate ${what}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, reason: stage === 'load' ? 'accelerator-compile-failed' : 'accelerator-run-failed' },
        );
      }
      if (instance.log.failures.length > 0) throw liteRtLogError(instance.log.failures, stage);
      return result;
    });
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async load(bytes: Uint8Array): Promise<LoadedModel> {
    const model = readModel(bytes);
    checkTensorSizes(model);
    const cpuOnly = partitionModel(model).ops.filter((op) => op.placement !== 'litert');
    if (cpuOnly.length > 0) {
      throw new ReefError(
        'UNIMPLEMENTED',
        `ops ${[...new Set(cpuOnly.map((o) => o.name))].join(', ')} run only on the CPU engine`,
        { reason: 'needs-cpu-kernels' },
      );
    }
    const subgraph = model.subgraphs[0]!;
    const inputs = subgraph.inputs.map((i) => tensorInfo(subgraph.tensors[i]!));
    const outputs = subgraph.outputs.map((i) => tensorInfo(subgraph.tensors[i]!));
    const graph = await this.guarded('load', async ({ wasm, env }) => {
      const ptr = wasm._malloc(bytes.byteLength);
      wasm.HEAPU8.set(bytes, ptr);
      const wasmModel = wasm.loadModel(env, ptr, bytes.byteLength);
      let compiled: WasmCompiled | undefined;
      try {
        compiled = await wasm.compileModel(env, wasmModel, {
          accelerator: this.#options.accelerator,
          cpuOptions: { numThreads: 1 },
          gpuOptions: { precision: 'fp32' },
          webNNOptions: {},
        } as Parameters<LiteRtWasm['compileModel']>[2]);
        if (!compiled.isFullyAccelerated()) {
          throw new ReefError(
            'UNIMPLEMENTED',
            `LiteRT's ${this.#options.accelerator === 'webgpu' ? 'WebGPU' : 'WebNN'} delegate cannot run every op of this model (it would hand some to the CPU)`,
            { reason: 'not-fully-accelerated' },
          );
        }
        return { ptr, wasmModel, compiled };
      } catch (error) {
        compiled?.delete();
        wasmModel.delete();
        wasm._free(ptr);
        throw error;
      }
    });
    return new GpuModel(this, graph, inputs, outputs);
  }

  /** Starts the runtime (the GPU device and LiteRT's instance), once; loads after it only compile. */
  async start(): Promise<void> {
    await this.#ready();
  }

  dispose(): void {
    void this.#instance?.then((i) => i.device?.destroy()).catch(() => {});
    this.#instance = undefined;
  }
}

interface CompiledGraph {
  ptr: number;
  wasmModel: { delete(): void };
  compiled: WasmCompiled;
}

class GpuModel implements LoadedModel {
  readonly engine: string;
  readonly device: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly #engine: LiteRtGpuEngine;
  readonly #graph: CompiledGraph;
  #disposed = false;

  constructor(
    engine: LiteRtGpuEngine,
    graph: CompiledGraph,
    inputs: readonly TensorInfo[],
    outputs: readonly TensorInfo[],
  ) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.#engine = engine;
    this.#graph = graph;
    this.engine = engine.name;
    this.device = engine.device;
  }

  async run(inputs: readonly TensorArray[]): Promise<RunResult> {
    if (this.#disposed) throw new ReefError('FAILED_PRECONDITION', 'this model was unloaded', { reason: 'disposed' });
    if (inputs.length !== this.inputs.length) {
      throw new ReefError('INVALID_ARGUMENT', `the model takes ${this.inputs.length} inputs, got ${inputs.length}`, {
        reason: 'input-count',
      });
    }
    const started = performance.now();
    const outputs = await this.#engine.guarded('run', async (instance) => {
      const cleanup: (() => void)[] = [];
      let produced: WasmBuffer[] = [];
      try {
        const buffers = inputs.map((data, i) => {
          const info = this.inputs[i]!;
          if (dtypeOfArray(data) !== info.dtype && !(info.dtype === 'bool' && data instanceof Uint8Array)) {
            throw new ReefError('INVALID_ARGUMENT', `input ${i} is ${info.dtype}, got ${dtypeOfArray(data)}`, {
              reason: 'input-type',
            });
          }
          if (data.length !== elementCount(info.shape)) {
            throw new ReefError(
              'INVALID_ARGUMENT',
              `input ${i} needs ${elementCount(info.shape)} elements, got ${data.length}`,
              {
                reason: 'input-size',
              },
            );
          }
          return inputBuffer(instance, this.#graph.compiled, i, info, data, cleanup);
        });
        produced = await this.#graph.compiled.run(0, buffers);
        return await Promise.all(produced.map((b, k) => readOutput(instance, b, this.outputs[k]!)));
      } finally {
        for (const b of produced) b.delete();
        for (const c of cleanup.reverse()) c();
      }
    });
    return {
      outputs: outputs.map((data, k) => ({ ...this.outputs[k]!, data })),
      engine: this.engine,
      device: this.device,
      ms: performance.now() - started,
    };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // Through the engine's queue: a run in flight keeps its graph until it ends.
    void this.#engine
      .guarded('run', async ({ wasm }) => {
        this.#graph.compiled.delete();
        this.#graph.wasmModel.delete();
        wasm._free(this.#graph.ptr);
      })
      .catch(() => {});
  }
}

function rankedType(wasm: LiteRtWasm, info: TensorInfo): ReturnType<LiteRtWasm['LiteRtRankedTensorType']['create']> {
  const dims = new wasm.VectorInt32();
  for (const d of info.shape) dims.push_back(d);
  const layout = wasm.LiteRtLayout.create(dims);
  dims.delete();
  const type = wasm.LiteRtRankedTensorType.create({ value: ELEMENT_TYPES[info.dtype] } as never, layout);
  layout.delete();
  return type;
}

function supports(
  wasm: LiteRtWasm,
  requirements: { supportedTypes(): { size(): number; get(i: number): { value: number } } },
  type: { value: number },
): boolean {
  const types = requirements.supportedTypes();
  try {
    for (let i = 0; i < types.size(); i++) if (types.get(i).value === type.value) return true;
    return false;
  } finally {
    (types as unknown as { delete(): void }).delete();
  }
}

function inputBuffer(
  { wasm, env, device }: Instance,
  compiled: WasmCompiled,
  index: number,
  info: TensorInfo,
  data: TensorArray,
  cleanup: (() => void)[],
): WasmBuffer {
  const requirements = compiled.getInputBufferRequirements(0, index);
  const type = rankedType(wasm, info);
  try {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (supports(wasm, requirements, wasm.LiteRtTensorBufferType.HOST_MEMORY) || !device) {
      const buffer = wasm.LiteRtTensorBuffer.createManaged(
        env,
        wasm.LiteRtTensorBufferType.HOST_MEMORY,
        type,
        bytes.byteLength,
      );
      cleanup.push(() => buffer.delete());
      const dest = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
      try {
        wasm.HEAPU8.set(bytes, dest);
      } finally {
        buffer.unlock();
      }
      return buffer;
    }
    // WebGPU wants 4-byte multiples; the padding is never read as data.
    const size = (bytes.byteLength + 3) & ~3;
    const gpuBuffer = device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    cleanup.push(() => gpuBuffer.destroy());
    const padded = new Uint8Array(size);
    padded.set(bytes);
    device.queue.writeBuffer(gpuBuffer, 0, padded);
    const imported = wasm.WebGPU.importJsBuffer(gpuBuffer);
    cleanup.push(() => wasm.wgpuBufferRelease(imported));
    const buffer = wasm.LiteRtTensorBuffer.createFromWebGpuBuffer(
      env,
      type,
      wasm.LiteRtTensorBufferType.WEB_GPU_BUFFER_PACKED,
      imported,
      size,
    );
    cleanup.push(() => buffer.delete());
    return buffer;
  } finally {
    type.delete();
    requirements.delete();
  }
}

async function readOutput({ wasm, device }: Instance, buffer: WasmBuffer, info: TensorInfo): Promise<TensorArray> {
  const data = allocateTensorArray(info.dtype, elementCount(info.shape));
  const bytes = data.length * BYTES_PER_ELEMENT[info.dtype];
  if (buffer.isWebGpuMemory()) {
    const source = wasm.WebGPU.getJsObject(buffer.getWebGpuBuffer());
    const size = (bytes + buffer.offset() + 3) & ~3;
    const staging = device!.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    try {
      const encoder = device!.createCommandEncoder();
      encoder.copyBufferToBuffer(source, 0, staging, 0, Math.min(size, source.size));
      device!.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      new Uint8Array(data.buffer).set(new Uint8Array(staging.getMappedRange(), buffer.offset(), bytes));
      staging.unmap();
    } finally {
      staging.destroy();
    }
    return data;
  }
  const src = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
  try {
    new Uint8Array(data.buffer).set(wasm.HEAPU8.subarray(src, src + bytes));
  } finally {
    buffer.unlock();
  }
  return data;
}
