/**
 * One LiteRT.js WASM instance, loaded on demand and thrown away after any failure. The instance is
 * Reef's own (`new LiteRt(module)`), not LiteRT.js's module global: discarding it drops the whole
 * heap, and no WebGPU device is probed for a CPU engine. Who instantiates the Emscripten module
 * (worker: ESM glue from our origin; Node: CJS glue) is a `LiteRtLoader`.
 *
 * Models run through LiteRT's Emscripten bindings (`liteRt.liteRtWasm`) rather than the JS
 * `Tensor` wrapper: the wrapper only knows float32/int32/uint8 and copies every tensor twice,
 * while the bindings take any element type (int8 quantized models, int16 LSTM state, int64
 * ARG_MAX) and one copy in and out of the WASM heap.
 *
 * LiteRT reports prepare / allocate / invoke failures only in its log (see litert-log.ts), so the
 * instance's log goes to a capture, calls into it are serialized, and a call that logged an error
 * throws a typed error instead of returning buffers.
 */
import * as litert from '@litertjs/core';
import { ReefError } from '../errors.ts';
import { allocateTensorArray, BYTES_PER_ELEMENT, dtypeOfArray, type DType, type TensorArray } from './engine.ts';
import { LiteRtLogCapture, liteRtLogError, type LiteRtStage } from './litert-log.ts';

/** The Emscripten module LiteRT's glue script produces. */
export type LiteRtWasmModule = ConstructorParameters<typeof litert.LiteRt>[0];

/** Emscripten module arguments the loaders pass (logging hooks; file locations in browsers). */
export interface LiteRtModuleArgs {
  print?: (text: string) => void;
  printErr?: (text: string) => void;
  locateFile?: (path: string) => string;
  mainScriptUrlOrBlob?: string;
}

export interface LiteRtLoadHooks {
  /** Receives every line the module prints (stdout and stderr); the runtime judges them. */
  log?: (text: string) => void;
}

/** How this environment instantiates a fresh LiteRT WASM module. */
export interface LiteRtLoader {
  load(hooks?: LiteRtLoadHooks): Promise<LoadedLiteRt>;
}

export interface LoadedLiteRt extends LiteRtVariantInfo {
  module: LiteRtWasmModule;
}

export interface LiteRtVariantInfo {
  /** `threaded`, `plain`, `compat`, … (the build that was loaded). */
  variant: string;
  /** Threads LiteRT's CPU kernels may use. */
  threads: number;
}

type LiteRtWasm = litert.LiteRt['liteRtWasm'];
type Bindings = {
  wasm: LiteRtWasm;
  env: litert.Environment['liteRtEnvironment'];
  threads: number;
  variant: string;
  log: LiteRtLogCapture;
};
type WasmModel = ReturnType<LiteRtWasm['loadModel']>;
type WasmCompiledModel = Awaited<ReturnType<LiteRtWasm['compileModel']>>;
type WasmTensorBuffer = ReturnType<LiteRtWasm['LiteRtTensorBuffer']['createManaged']>;

/** LiteRT's ElementType values (litert_model_types.h) for the types Reef moves. */
const ELEMENT_TYPES: Record<DType, number> = {
  float32: 1,
  int32: 2,
  uint8: 3,
  int64: 4,
  bool: 6,
  int16: 7,
  int8: 9,
};
const DTYPE_OF_ELEMENT = new Map<number, DType>(Object.entries(ELEMENT_TYPES).map(([k, v]) => [v, k as DType]));

export function isLiteRtBoundaryType(dtype: string): dtype is DType {
  return dtype in ELEMENT_TYPES;
}

export interface LiteRtOutput {
  dtype: DType;
  shape: number[];
  data: TensorArray;
}

/** A compiled graph in one LiteRT instance; stale once the instance is discarded. */
export interface LiteRtGraph {
  readonly generation: number;
  /** Throws a typed error (never returns outputs) when LiteRT logged a prepare/allocate/invoke failure. */
  run(inputs: readonly TensorArray[]): Promise<LiteRtOutput[]>;
  delete(): void;
}

export class LiteRtRuntime {
  readonly #loader: LiteRtLoader;
  #ready: Promise<Bindings> | undefined;
  #generation = 0;
  /** The tail of the queue of calls into the instance: one at a time, so each log belongs to one call. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(loader: LiteRtLoader) {
    this.#loader = loader;
  }

  get generation(): number {
    return this.#generation;
  }

  async #instantiate(): Promise<Bindings> {
    const log = new LiteRtLogCapture();
    const loaded = await this.#loader.load({ log: log.write });
    const liteRt = new litert.LiteRt(loaded.module);
    // A CPU-only environment: null means "no WebGPU device" to LiteRT's bindings.
    const env = liteRt.liteRtWasm.LiteRtEnvironment.create(null);
    return { wasm: liteRt.liteRtWasm, env, threads: loaded.threads, variant: loaded.variant, log };
  }

  /** Loads the instance once; after `discard()` the next call loads a fresh one. */
  async ready(): Promise<LiteRtVariantInfo> {
    const { variant, threads } = await this.#bindings();
    return { variant, threads };
  }

  #bindings(): Promise<Bindings> {
    this.#ready ??= this.#instantiate().catch((error: unknown) => {
      this.#ready = undefined;
      throw new ReefError('UNAVAILABLE', `litert: the WASM runtime did not load: ${String(error)}`, {
        cause: error,
        reason: 'litert-load-failed',
      });
    });
    return this.#ready;
  }

  /**
   * Drops the WASM instance (heap and every graph in it). Called after any LiteRT failure: a failed
   * call can leave the heap corrupted, and the next model must not inherit that.
   */
  discard(): void {
    this.#ready = undefined;
    this.#generation++;
  }

  /**
   * Runs `call` alone on the instance with a fresh log capture; an ERROR line logged meanwhile
   * makes it throw. `opNumbers` names the user's op indices in the summary.
   */
  async guarded<T>(stage: LiteRtStage, call: () => Promise<T>, opNumbers?: readonly number[]): Promise<T> {
    const { log } = await this.#bindings();
    const turn = this.#queue.then(async () => {
      log.reset();
      let result: T;
      try {
        result = await call();
      } catch (error) {
        // An abort or a binding's exception: what LiteRT logged before it is the readable cause.
        if (log.failures.length === 0) throw error;
        throw Object.assign(liteRtLogError(log.failures, stage, opNumbers), { cause: error });
      }
      const failures = log.failures;
      if (failures.length > 0) throw liteRtLogError(failures, stage, opNumbers);
      return result;
    });
    this.#queue = turn.catch(() => {});
    return turn;
  }

  /**
   * Compiles a model that the partitioner has vetted (LiteRT does not reject unknown custom ops).
   * `opNumbers[k]`: the op index in the user's model of this graph's op k (for error messages).
   */
  async compile(bytes: Uint8Array, opNumbers?: readonly number[]): Promise<LiteRtGraph> {
    const { wasm, env, threads } = await this.#bindings();
    const generation = this.#generation;
    const ptr = wasm._malloc(bytes.byteLength);
    wasm.HEAPU8.set(bytes, ptr);
    let model: WasmModel | undefined;
    let compiled: WasmCompiledModel | undefined;
    try {
      await this.guarded(
        'load',
        async () => {
          model = wasm.loadModel(env, ptr, bytes.byteLength);
          compiled = await wasm.compileModel(env, model, {
            accelerator: 'wasm',
            cpuOptions: { numThreads: threads },
            gpuOptions: {},
            webNNOptions: {},
          } as Parameters<LiteRtWasm['compileModel']>[2]);
        },
        opNumbers,
      );
    } catch (error) {
      compiled?.delete();
      model?.delete();
      wasm._free(ptr);
      throw error;
    }
    return new BoundGraph(this, wasm, env, ptr, model!, compiled!, generation, opNumbers);
  }
}

/** What a graph input takes, and the LiteRT buffer it is written into on every run. */
interface InputSlot {
  dtype: DType | undefined;
  bytes: number;
  buffer: WasmTensorBuffer;
}

/** What a graph output holds: read from LiteRT once, the same on every run of a static graph. */
interface OutputLayout {
  dtype: DType;
  shape: number[];
  bytes: number;
}

/**
 * A compiled graph bound to its LiteRT instance. The per-call work is kept to copies: each input's
 * LiteRT buffer is made once and overwritten on every run, and each output's type and shape are
 * read once; what is checked on every run (input types and sizes) are plain comparisons.
 */
class BoundGraph implements LiteRtGraph {
  readonly generation: number;
  readonly #runtime: LiteRtRuntime;
  readonly #wasm: LiteRtWasm;
  readonly #env: Bindings['env'];
  readonly #ptr: number;
  readonly #model: WasmModel;
  readonly #compiled: WasmCompiledModel;
  readonly #opNumbers: readonly number[] | undefined;
  readonly #inputs: (InputSlot | undefined)[] = [];
  readonly #outputs: (OutputLayout | undefined)[] = [];
  #deleted = false;

  constructor(
    runtime: LiteRtRuntime,
    wasm: LiteRtWasm,
    env: Bindings['env'],
    ptr: number,
    model: WasmModel,
    compiled: WasmCompiledModel,
    generation: number,
    opNumbers: readonly number[] | undefined,
  ) {
    this.#runtime = runtime;
    this.#wasm = wasm;
    this.#env = env;
    this.#ptr = ptr;
    this.#model = model;
    this.#compiled = compiled;
    this.generation = generation;
    this.#opNumbers = opNumbers;
  }

  #inputSlot(index: number): InputSlot {
    const known = this.#inputs[index];
    if (known) return known;
    const wasm = this.#wasm;
    const type = this.#model.getInputTensorType(0, index);
    try {
      const bytes = type.bytes();
      const buffer = wasm.LiteRtTensorBuffer.createManaged(
        this.#env,
        wasm.LiteRtTensorBufferType.HOST_MEMORY,
        type,
        bytes,
      );
      const slot = { dtype: DTYPE_OF_ELEMENT.get(type.elementType().value), bytes, buffer };
      this.#inputs[index] = slot;
      return slot;
    } finally {
      type.delete();
    }
  }

  /** Checks `data` against input `index` and copies it into that input's buffer. */
  #writeInput(index: number, data: TensorArray): WasmTensorBuffer {
    const wasm = this.#wasm;
    const { dtype: expected, bytes, buffer } = this.#inputSlot(index);
    const actual = dtypeOfArray(data);
    if (expected !== actual && !(expected === 'bool' && actual === 'uint8')) {
      throw new ReefError('INVALID_ARGUMENT', `litert: input ${index} is ${expected ?? 'unknown'}, got ${actual}`, {
        reason: 'input-type',
      });
    }
    if (bytes !== data.byteLength) {
      throw new ReefError('INVALID_ARGUMENT', `litert: input ${index} needs ${bytes} bytes, got ${data.byteLength}`, {
        reason: 'input-size',
      });
    }
    const dest = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
    try {
      wasm.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dest);
    } finally {
      buffer.unlock();
    }
    return buffer;
  }

  #outputLayout(buffer: WasmTensorBuffer): OutputLayout {
    const type = buffer.tensorType();
    const layout = type.layout();
    const dims = layout.dimensions();
    try {
      const shape: number[] = [];
      for (let i = 0; i < dims.size(); i++) shape.push(dims.get(i));
      const dtype = DTYPE_OF_ELEMENT.get(type.elementType().value);
      if (!dtype) {
        throw new ReefError(
          'UNIMPLEMENTED',
          `litert: output element type ${type.elementType().value} is not supported`,
          {
            reason: 'output-type',
          },
        );
      }
      return { dtype, shape, bytes: shape.reduce((n, d) => n * d, 1) * BYTES_PER_ELEMENT[dtype] };
    } finally {
      dims.delete();
      layout.delete();
      type.delete();
    }
  }

  /** A fresh copy of output `index` (the caller may transfer it away). */
  #readOutput(index: number, buffer: WasmTensorBuffer): LiteRtOutput {
    const wasm = this.#wasm;
    const layout = (this.#outputs[index] ??= this.#outputLayout(buffer));
    const { dtype, shape, bytes } = layout;
    const data = allocateTensorArray(dtype, bytes / BYTES_PER_ELEMENT[dtype]);
    const src = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
    try {
      new Uint8Array(data.buffer).set(wasm.HEAPU8.subarray(src, src + bytes));
    } finally {
      buffer.unlock();
    }
    return { dtype, shape: [...shape], data };
  }

  #checkLive(): void {
    if (this.#deleted || this.generation !== this.#runtime.generation) {
      throw new ReefError('FAILED_PRECONDITION', 'litert: this graph belongs to a discarded WASM instance', {
        reason: 'stale-graph',
      });
    }
  }

  async run(inputs: readonly TensorArray[]): Promise<LiteRtOutput[]> {
    this.#checkLive();
    let outputs: WasmTensorBuffer[] = [];
    try {
      // Inputs are written in this call's turn: the buffers are shared by every run of the graph,
      // and a run queued behind this one must not overwrite them before this one invoked.
      // Outputs are read only after the log was judged: a failed invoke's buffers never leave here.
      await this.#runtime.guarded(
        'run',
        async () => {
          // A run queued behind one that failed finds the instance discarded.
          this.#checkLive();
          const buffers = inputs.map((data, i) => this.#writeInput(i, data));
          outputs = await this.#compiled.run(0, buffers);
        },
        this.#opNumbers,
      );
      return outputs.map((b, i) => this.#readOutput(i, b));
    } finally {
      for (const b of outputs) b.delete();
    }
  }

  delete(): void {
    if (this.#deleted) return;
    this.#deleted = true;
    if (this.generation !== this.#runtime.generation) return; // its heap is gone already
    for (const slot of this.#inputs) slot?.buffer.delete();
    this.#compiled.delete();
    this.#model.delete();
    this.#wasm._free(this.#ptr);
  }
}
