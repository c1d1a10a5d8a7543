/**
 * Models on the worker's Edge TPUs, beside the CPU engine. `engine` picks where a model runs:
 * `auto` (a ready TPU when the model is compiled for it, else the WASM engine with the CPU twin),
 * `usb` (any TPU), `usb:N` (that TPU), `wasm`/`cpu` (LiteRT.js). A TPU model is the composite
 * engine — the Edge TPU op on the device pool, CPU ops around it in LiteRT.js — so the page's tasks
 * (classify, detect, …) run the same way on both. Every result names the engine and device that
 * produced it; when a TPU goes away its runs reject with `UNAVAILABLE` and the page may switch the
 * model to WASM with `fallBackToWasm`, after which every result carries `fallback` saying why.
 */
import type { DevicePool, PoolOpRunner } from '../lib/edgetpu/index.ts';
import { ReefError } from '../lib/errors.ts';
import {
  hasEdgeTpuOps,
  PartitionedEngine,
  type EdgeTpuOpRunner,
  type LiteRtRuntime,
  type RunResult,
  type TensorArray,
} from '../lib/runtime/index.ts';
import { readModel } from '../lib/tflite/index.ts';
import { WorkerEngines, type LoadedModelInfo, type TaskOptions, type TaskResult, type WorkerImage } from './engines.ts';

/** `auto`, `wasm` (or its old name `cpu`), `usb`, `usb:N`. */
export type EngineRequest = string;

export interface TpuLoadOptions {
  engine?: EngineRequest;
  /** The CPU version of a compiled model: what `wasm` runs, and `auto` when no TPU is ready. */
  cpuTwin?: Uint8Array;
  /** Shown in the device list (models placed on a TPU). */
  name?: string;
}

export interface EngineChoice {
  /** What the caller asked for. */
  requested: EngineRequest;
  /** Set when the model runs on WASM although it was meant for a TPU: why, in words. */
  fallback?: string;
}

export type TpuModelInfo = LoadedModelInfo & EngineChoice;
export type TpuRunResult = RunResult & Pick<EngineChoice, 'fallback'>;
export type TpuTaskResult = TaskResult & Pick<EngineChoice, 'fallback'>;

const DEVICE_REQUEST = /^usb(?::\d+)?$/;

interface Entry {
  engines: WorkerEngines;
  innerId: string;
  bytes: Uint8Array;
  cpuTwin: Uint8Array | undefined;
  choice: EngineChoice;
  /** The TPU it was placed on (for messages after it went away). */
  device: string | undefined;
  name: string | undefined;
}

/**
 * The pool's op runner, reporting the device the op was actually placed on (`usb:0`, not `usb`),
 * so results and the device list agree.
 */
function placedRunner(runner: PoolOpRunner): EdgeTpuOpRunner & { placedOn(): string | undefined } {
  let placed: string | undefined;
  return {
    get device() {
      return placed ?? runner.device;
    },
    placedOn: () => placed,
    async prepare(op) {
      const prepared = await runner.prepare(op);
      placed = prepared.model.deviceId;
      return {
        run: async (inputs) => prepared.run(inputs),
        dispose: () => prepared.dispose(),
      };
    },
  };
}

export class TpuEngines {
  readonly #pool: DevicePool | undefined;
  readonly #cpu: WorkerEngines;
  readonly #createRuntime: () => LiteRtRuntime;
  #runtime: LiteRtRuntime | undefined;
  readonly #entries = new Map<string, Entry>();
  #nextId = 0;

  /**
   * `cpu`: the worker's CPU engine (WASM models are loaded there); `createRuntime`: the LiteRT.js
   * runtime the CPU ops of TPU models share (one per worker, made on first use).
   */
  constructor(pool: DevicePool | undefined, cpu: WorkerEngines, createRuntime: () => LiteRtRuntime) {
    this.#pool = pool;
    this.#cpu = cpu;
    this.#createRuntime = createRuntime;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  async load(bytes: Uint8Array, options: TpuLoadOptions = {}): Promise<TpuModelInfo> {
    const requested = options.engine ?? 'auto';
    if (requested !== 'auto' && requested !== 'wasm' && requested !== 'cpu' && !DEVICE_REQUEST.test(requested)) {
      throw new ReefError('INVALID_ARGUMENT', `engine "${requested}" is not one of auto, wasm, usb, usb:N`, {
        reason: 'unknown-engine',
      });
    }
    const compiled = hasEdgeTpuOps(readModel(bytes));
    const id = `t${++this.#nextId}`;
    const base = { bytes, cpuTwin: options.cpuTwin, device: undefined, name: options.name };

    if (requested === 'wasm' || requested === 'cpu' || (requested === 'auto' && !compiled)) {
      return this.#loadWasm(id, { ...base, choice: { requested } });
    }
    if (!compiled) {
      throw new ReefError(
        'FAILED_PRECONDITION',
        'this model is not compiled for the Edge TPU (no edgetpu-custom-op); run it on WASM or load its _edgetpu.tflite version',
        { reason: 'not-compiled' },
      );
    }
    if (requested === 'auto') {
      const ready = await this.#readyTpus();
      if (ready.length === 0) {
        return this.#loadWasm(id, {
          ...base,
          choice: { requested, fallback: this.#whyNoTpu() },
        });
      }
      try {
        return await this.#loadTpu(id, base, requested, undefined, options.name);
      } catch (error) {
        // Every TPU holds a model already: `auto` shares one rather than refusing.
        if (error instanceof ReefError && error.reason === 'no-free-tpu') {
          return this.#loadTpu(id, base, requested, 'usb', options.name);
        }
        // The TPU went away while loading: `auto` runs the twin, and says so.
        if (error instanceof ReefError && error.code === 'UNAVAILABLE' && options.cpuTwin) {
          return this.#loadWasm(id, { ...base, choice: { requested, fallback: `${error.message}; running on WASM` } });
        }
        throw error;
      }
    }
    if (!this.#pool) {
      throw new ReefError('UNAVAILABLE', 'this browser has no WebUSB in workers, so no Edge TPU can be used', {
        reason: 'no-webusb',
      });
    }
    return this.#loadTpu(id, base, requested, requested, options.name);
  }

  /**
   * Reloads a model on the WASM engine under the same id, e.g. after its TPU was unplugged. From
   * then on its results carry `fallback` naming the TPU it left.
   */
  async fallBackToWasm(id: string, why?: string): Promise<TpuModelInfo> {
    const entry = this.#get(id);
    const from = entry.device ?? 'the Edge TPU';
    entry.engines.unload(entry.innerId);
    this.#entries.delete(id);
    return this.#loadWasm(id, {
      ...entry,
      choice: {
        requested: entry.choice.requested,
        fallback: `${from} is not available (${why ?? 'failed'}); running on WASM`,
      },
    });
  }

  /**
   * Loads the same model again under the same id with another engine choice, e.g. back to `auto`
   * once a replugged Coral has its firmware again. The old placement is released first.
   */
  async reload(id: string, engine: EngineRequest): Promise<TpuModelInfo> {
    const entry = this.#get(id);
    // A model on a TPU gives its place up first (so `auto` may pick that TPU again); one on WASM
    // keeps running until the new load succeeds.
    const onTpu = entry.engines !== this.#cpu;
    if (onTpu) {
      entry.engines.unload(entry.innerId);
      this.#entries.delete(id);
    }
    const info = await this.load(entry.bytes, {
      engine,
      ...(entry.cpuTwin ? { cpuTwin: entry.cpuTwin } : {}),
      ...(entry.name ? { name: entry.name } : {}),
    });
    if (!onTpu) entry.engines.unload(entry.innerId);
    // Keep the caller's id: move the new entry under it.
    const fresh = this.#entries.get(info.id)!;
    this.#entries.delete(info.id);
    this.#entries.set(id, fresh);
    return { ...info, id };
  }

  async run(id: string, inputs: TensorArray[]): Promise<TpuRunResult> {
    const entry = this.#get(id);
    const result: TpuRunResult = await this.#guard(entry, () => entry.engines.run(entry.innerId, inputs));
    if (entry.choice.fallback) result.fallback = entry.choice.fallback;
    return result;
  }

  async runTask(
    id: string,
    image: WorkerImage,
    task: TaskResult['task'],
    options: TaskOptions = {},
  ): Promise<TpuTaskResult> {
    const entry = this.#get(id);
    const result: TpuTaskResult = await this.#guard(entry, () =>
      entry.engines.runTask(entry.innerId, image, task, options),
    );
    if (entry.choice.fallback) result.fallback = entry.choice.fallback;
    return result;
  }

  unload(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    return entry.engines.unload(entry.innerId);
  }

  async #readyTpus(): Promise<string[]> {
    if (!this.#pool) return [];
    const devices = this.#pool.devices().length > 0 ? this.#pool.devices() : await this.#pool.refresh();
    return devices.filter((d) => d.personality === 'app' && d.state !== 'error').map((d) => d.id);
  }

  #whyNoTpu(): string {
    if (!this.#pool) return 'no WebUSB in this browser; running on WASM';
    const devices = this.#pool.devices();
    if (devices.some((d) => d.state === 'needs-firmware')) {
      return 'the connected Coral needs its firmware (Devices page); running on WASM';
    }
    return 'no Edge TPU is connected; running on WASM';
  }

  async #loadWasm(id: string, entry: Omit<Entry, 'engines' | 'innerId'>): Promise<TpuModelInfo> {
    const info = await this.#cpu.load(entry.bytes, entry.cpuTwin ? { cpuTwin: entry.cpuTwin } : {});
    this.#entries.set(id, { ...entry, engines: this.#cpu, innerId: info.id, device: entry.device });
    return { ...info, id, ...entry.choice };
  }

  async #loadTpu(
    id: string,
    base: Pick<Entry, 'bytes' | 'cpuTwin' | 'name'>,
    requested: EngineRequest,
    device: string | undefined,
    name: string | undefined,
  ): Promise<TpuModelInfo> {
    const pool = this.#pool!;
    this.#runtime ??= this.#createRuntime();
    const runtime = this.#runtime;
    const runner = placedRunner(pool.opRunner({ ...(device ? { device } : {}), name: name ?? `model ${id}` }));
    const engines = new WorkerEngines(() => new PartitionedEngine({ runtime, tpu: runner }));
    const info = await engines.load(base.bytes);
    const choice: EngineChoice = { requested };
    this.#entries.set(id, { ...base, engines, innerId: info.id, choice, device: runner.placedOn() });
    return { ...info, id, ...choice };
  }

  /** A TPU failure keeps its typed error; the device pool has already marked the TPU gone. */
  async #guard<T>(entry: Entry, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (entry.engines === this.#cpu || error instanceof ReefError) throw error;
      throw new ReefError(
        'UNAVAILABLE',
        `${entry.device ?? 'the Edge TPU'} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, reason: 'device-failed' },
      );
    }
  }

  #get(id: string): Entry {
    const entry = this.#entries.get(id);
    if (!entry) throw new ReefError('NOT_FOUND', `no loaded model '${id}'`, { reason: 'unknown-model' });
    return entry;
  }
}
