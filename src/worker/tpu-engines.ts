/**
 * The worker's models on the engine ladder (src/lib/runtime/ladder). `engine` picks where a model
 * runs: `auto` (a ready TPU for a compiled model; otherwise the fastest engine whose outputs agree
 * with WASM, measured once per model and engine set), `usb` (any TPU), `usb:N` (that TPU),
 * `webgpu`, `webnn`, `wasm`/`cpu` (LiteRT.js + Reef kernels). A TPU model is the composite engine —
 * the Edge TPU op on the device pool, CPU ops around it in LiteRT.js — so the page's tasks
 * (classify, detect, …) run the same way on every engine. Every answer names the engine and
 * device and carries the ladder's decision (figures, skipped engines and why); when a TPU goes
 * away its runs reject with `UNAVAILABLE` and the page may switch the model to WASM with
 * `fallBackToWasm`, after which every result carries `fallback` saying why.
 */
import { checkSegmentSet, createSegmentPipeline, type DevicePool, type PoolOpRunner } from '../lib/edgetpu/index.ts';
import { ReefError } from '../lib/errors.ts';
import {
  EngineLadder,
  EngineRegistry,
  edgeTpuFactory,
  PartitionedEngine,
  SegmentedModel,
  wasmFactory,
  type CalibrationOptions,
  type ChoiceCache,
  type EdgeTpuOpRunner,
  type EngineFactory,
  type EngineKind,
  type EngineProbe,
  type LadderDecision,
  type LadderEntry,
  type LadderModel,
  type LiteRtRuntime,
  type LoadedModel,
  type RunResult,
  type TensorArray,
  segmentDevices,
  segmentedRefusal,
} from '../lib/runtime/index.ts';
import { WorkerEngines, type LoadedModelInfo, type TaskOptions, type TaskResult, type WorkerImage } from './engines.ts';

/** `auto`, `wasm` (or its old name `cpu`), `webgpu`, `webnn`, `usb`, `usb:N`. */
export type EngineRequest = string;

export interface TpuLoadOptions {
  engine?: EngineRequest;
  /** The CPU version of a compiled model: what `wasm` runs, and `auto` when no TPU is ready. */
  cpuTwin?: Uint8Array;
  /** Shown in the device list (models placed on a TPU). */
  name?: string;
  /** `auto`: wait for the whole calibration (benchmarks) instead of finishing it in the background. */
  wait?: boolean;
}

/** The ladder's decision as plain data for the page (see LadderDecision). */
export type EngineDecision = Omit<LadderDecision, 'engineSet'> & {
  kind: EngineKind;
  /** Plain words: "Coral usb:0", "GPU (WebGPU)", "CPU (WebAssembly)". */
  label: string;
};

export interface EngineChoice {
  /** What the caller asked for. */
  requested: EngineRequest;
  /** Set when the model runs somewhere else than it was meant for: why, in words. */
  fallback?: string;
  decision: EngineDecision;
}

/** A file of a model compiled in segments (`*_segment_K_of_N_edgetpu.tflite`). */
export interface SegmentFileSource {
  name: string;
  bytes: Uint8Array;
}

/** Segment k of a segment set and the TPU it runs on, in pipeline order. */
export interface SegmentPlacement {
  segment: string;
  device: string;
}

export type TpuModelInfo = LoadedModelInfo & EngineChoice & { segments?: SegmentPlacement[] };
export type TpuRunResult = RunResult & Pick<EngineChoice, 'fallback'>;
export type TpuTaskResult = TaskResult & Pick<EngineChoice, 'fallback'>;

export interface TpuEnginesOptions {
  /** More rungs (WebGPU, WebNN in the browser worker). */
  engines?: EngineFactory[];
  /** Where `auto` keeps its measured choices (IndexedDB in the worker). */
  cache?: ChoiceCache;
  /** The calibration's limits (tests); DEFAULT_CALIBRATION otherwise. */
  calibration?: CalibrationOptions;
}

interface Entry {
  innerId: string;
  bytes: Uint8Array;
  /** Set for a model compiled in segments: its files (`bytes` is segment 0's). */
  segments?: SegmentFileSource[];
  cpuTwin: Uint8Array | undefined;
  choice: EngineChoice;
  /** The TPU it was placed on (for messages after it went away); undefined off the TPU. */
  device: string | undefined;
  name: string | undefined;
  /** While `auto`'s calibration goes on in the background: its end (see `settled`). */
  settling?: Promise<EngineChoice | undefined>;
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
  readonly #ladder: EngineLadder;
  #nextId = 0;

  /**
   * `cpu`: the worker's model store and CPU engine (the WASM rung); `createRuntime`: the LiteRT.js
   * runtime the CPU ops of TPU models share (one per worker, made on first use).
   */
  constructor(
    pool: DevicePool | undefined,
    cpu: WorkerEngines,
    createRuntime: () => LiteRtRuntime,
    options: TpuEnginesOptions = {},
  ) {
    this.#pool = pool;
    this.#cpu = cpu;
    this.#createRuntime = createRuntime;
    const registry = new EngineRegistry();
    registry.register(
      edgeTpuFactory({
        probe: () => this.#probeTpus(),
        load: (bytes, device, loadOptions) => this.#loadOnTpu(bytes, device, loadOptions?.name),
      }),
    );
    registry.register(wasmFactory({ load: (bytes, loadOptions) => cpu.cpuEngine().load(bytes, loadOptions) }));
    for (const factory of options.engines ?? []) registry.register(factory);
    this.#ladder = new EngineLadder(registry, {
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.calibration ? { calibration: options.calibration } : {}),
    });
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Frames a model may run at once: one per TPU of a segment pipeline, else 1. */
  lanes(id: string): number {
    const entry = this.#entries.get(id);
    return entry?.segments && entry.device ? entry.device.split(',').length : 1;
  }

  /** Every engine of the ladder, available or with the reason it is not. */
  engines(): Promise<LadderEntry[]> {
    return this.#ladder.engines();
  }

  async load(bytes: Uint8Array, options: TpuLoadOptions = {}): Promise<TpuModelInfo> {
    const id = `t${++this.#nextId}`;
    const loaded = await this.#ladder.load(bytes, {
      engine: options.engine ?? 'auto',
      ...(options.cpuTwin ? { cpuTwin: options.cpuTwin } : {}),
      ...(options.name ? { name: options.name } : {}),
      ...(options.wait ? { wait: true } : {}),
    });
    const info = await this.#keep(id, loaded, {
      bytes,
      cpuTwin: options.cpuTwin,
      name: options.name,
      device: loaded.engine === 'edgetpu' ? loaded.device : undefined,
    });
    const entry = this.#entries.get(id)!;
    if (loaded.settled) {
      entry.settling = loaded.settled.then((settled) => {
        entry.settling = undefined;
        // Unloaded meanwhile: nothing runs it any more.
        if (!settled || ![...this.#entries.values()].includes(entry)) return undefined;
        entry.choice = this.#choice({ ...settled, requested: entry.choice.requested }, settled.fallback);
        return entry.choice;
      });
    }
    return info;
  }

  /**
   * The model's choice once `auto`'s calibration is done: at once when it was done at load, else
   * when the background measurement settles and the model runs on the winner. Undefined when the
   * model was unloaded first.
   */
  async settled(id: string): Promise<EngineChoice | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    return entry.settling ?? entry.choice;
  }

  /** The choice of a model as its results and the page state it (plain data for comlink). */
  #choice(loaded: Omit<LadderModel, 'model'>, fallback: string | undefined): EngineChoice {
    // Everything the ladder decided but the engine-set key, which is the cache's business.
    const { engineSet: _, ...decision } = loaded.decision;
    return {
      requested: loaded.requested,
      ...(fallback ? { fallback } : {}),
      decision: { kind: loaded.engine, label: loaded.label, ...decision },
    };
  }

  /**
   * Loads a model compiled in segments as one model: checked as a set first (names and the tensors
   * of every cut), then segment k placed on its TPU with its CPU ops in LiteRT.js. Off the TPU, or
   * with none ready, a typed refusal (lib/runtime/segment-placement.ts); never a result from elsewhere.
   */
  async loadSegments(files: SegmentFileSource[], options: TpuLoadOptions = {}): Promise<TpuModelInfo> {
    const engine = options.engine ?? 'auto';
    const { segments } = checkSegmentSet(files);
    const probe = await this.#probeTpus();
    const devices = probe.available
      ? segmentDevices(engine, probe.devices, segments.length)
      : segmentDevices(engine, [], segments.length, probe.reason);
    const pool = this.#pool;
    if (!pool) throw segmentedRefusal(engine, 'no WebUSB in this browser');
    this.#runtime ??= this.#createRuntime();
    const runtime = this.#runtime;
    const pipeline = await createSegmentPipeline(pool, segments, {
      devices,
      loadSegment: (bytes, tpu) => new PartitionedEngine({ runtime, tpu }).load(bytes),
    });
    const model = new SegmentedModel(pipeline, segments[0]!.bytes, segments.at(-1)!.bytes);
    const loaded: LadderModel = {
      model,
      engine: 'edgetpu',
      device: model.device,
      label: `Coral ${[...new Set(devices)].join(' + ')}`,
      requested: engine,
      decision: {
        how: engine === 'auto' ? 'preferred' : 'requested',
        engineSet: '',
        figures: [],
        skipped: [],
        calibrationMs: 0,
      },
    };
    const info = await this.#keep(`t${++this.#nextId}`, loaded, {
      bytes: segments[0]!.bytes,
      segments,
      cpuTwin: undefined,
      name: options.name,
      device: model.device,
    });
    return { ...info, segments: model.placement };
  }

  async #keep(
    id: string,
    loaded: LadderModel,
    base: Omit<Entry, 'innerId' | 'choice'>,
    fallback: string | undefined = loaded.fallback,
  ): Promise<TpuModelInfo> {
    const info = await this.#cpu.adopt(loaded.model, base.bytes);
    const choice = this.#choice(loaded, fallback);
    this.#entries.set(id, { ...base, innerId: info.id, choice });
    return { ...info, id, ...choice };
  }

  /**
   * Reloads a model on the WASM engine under the same id, e.g. after its TPU was unplugged. From
   * then on its results carry `fallback` naming the TPU it left.
   */
  async fallBackToWasm(id: string, why?: string): Promise<TpuModelInfo> {
    const entry = this.#get(id);
    const from = entry.device ?? entry.choice.decision.label;
    if (entry.segments) throw segmentedRefusal('wasm', `${from} is not available (${why ?? 'failed'})`);
    this.#cpu.unload(entry.innerId);
    this.#entries.delete(id);
    const loaded = await this.#ladder.load(entry.bytes, {
      engine: 'wasm',
      ...(entry.cpuTwin ? { cpuTwin: entry.cpuTwin } : {}),
    });
    return this.#keep(
      id,
      { ...loaded, requested: entry.choice.requested },
      { ...entry, device: entry.device },
      `${from} is not available (${why ?? 'failed'}); running on WASM`,
    );
  }

  /**
   * Loads the same model again under the same id with another engine choice, e.g. back to `auto`
   * once a replugged Coral has its firmware again. The old placement is released first.
   */
  async reload(id: string, engine: EngineRequest): Promise<TpuModelInfo> {
    const entry = this.#get(id);
    // A model on a TPU gives its place up first (so `auto` may pick that TPU again); one elsewhere
    // keeps running until the new load succeeds.
    const onTpu = entry.choice.decision.kind === 'edgetpu';
    if (onTpu) {
      this.#cpu.unload(entry.innerId);
      this.#entries.delete(id);
    }
    const options = { engine, ...(entry.name ? { name: entry.name } : {}) };
    const info = entry.segments
      ? await this.loadSegments(entry.segments, options)
      : await this.load(entry.bytes, { ...options, ...(entry.cpuTwin ? { cpuTwin: entry.cpuTwin } : {}) });
    if (!onTpu) this.#cpu.unload(entry.innerId);
    // Keep the caller's id: move the new entry under it.
    const fresh = this.#entries.get(info.id)!;
    this.#entries.delete(info.id);
    this.#entries.set(id, fresh);
    return { ...info, id };
  }

  async run(id: string, inputs: TensorArray[]): Promise<TpuRunResult> {
    const entry = this.#get(id);
    const result: TpuRunResult = await this.#guard(entry, () => this.#cpu.run(entry.innerId, inputs));
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
      this.#cpu.runTask(entry.innerId, image, task, options),
    );
    if (entry.choice.fallback) result.fallback = entry.choice.fallback;
    return result;
  }

  unload(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    return this.#cpu.unload(entry.innerId);
  }

  async #probeTpus(): Promise<EngineProbe> {
    if (!this.#pool) return { available: false, reason: 'no WebUSB in this browser' };
    const devices = this.#pool.devices().length > 0 ? this.#pool.devices() : await this.#pool.refresh();
    const ready = devices.filter((d) => d.personality === 'app' && d.state !== 'error').map((d) => d.id);
    if (ready.length > 0) return { available: true, devices: ready };
    if (devices.some((d) => d.state === 'needs-firmware')) {
      return { available: false, reason: 'the connected Coral needs its firmware (Devices page)' };
    }
    return { available: false, reason: 'no Edge TPU is connected' };
  }

  /** `usb` lets the pool place the model on a free TPU, else share one; `usb:N` is that TPU. */
  async #loadOnTpu(bytes: Uint8Array, device: string, name: string | undefined): Promise<LoadedModel> {
    const pool = this.#pool;
    if (!pool) {
      throw new ReefError('UNAVAILABLE', 'this browser has no WebUSB in workers, so no Edge TPU can be used', {
        reason: 'no-webusb',
      });
    }
    this.#runtime ??= this.#createRuntime();
    const runtime = this.#runtime;
    const label = name ?? `model ${this.#nextId}`;
    const place = async (request: string | undefined): Promise<LoadedModel> => {
      const runner = placedRunner(pool.opRunner({ ...(request ? { device: request } : {}), name: label }));
      return new PartitionedEngine({ runtime, tpu: runner }).load(bytes);
    };
    if (device !== 'usb') return place(device);
    try {
      return await place(undefined);
    } catch (error) {
      // Every TPU holds a model already: share one rather than refusing.
      if (error instanceof ReefError && error.reason === 'no-free-tpu') return place('usb');
      throw error;
    }
  }

  /** A TPU failure keeps its typed error; the device pool has already marked the TPU gone. */
  async #guard<T>(entry: Entry, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (entry.choice.decision.kind !== 'edgetpu' || error instanceof ReefError) throw error;
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
