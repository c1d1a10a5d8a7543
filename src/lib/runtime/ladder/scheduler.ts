/**
 * The engine ladder: `load(model, { engine })` with `auto | usb | usb:N | webgpu | webnn | wasm`
 * (`cpu` is WASM's old name). Every load answers the same way — the model, the engine and device it
 * runs on, why it fell back when it did, and how the engine was chosen.
 *
 * `auto` chooses by measurement: every engine that can run the model is loaded, timed on the same
 * deterministic input (calibration.ts) and checked against WASM; the fastest that agrees wins and
 * the choice is cached per model and engine set (choice-cache.ts). An engine that is unavailable,
 * cannot run the model, throws or disagrees is skipped, and its reason is part of the answer.
 *
 * The calibration's cost: one engine at a time, the WASM reference first, each loaded, warmed up
 * (a candidate whose warm-up outputs disagree is never timed) and timed with the early stops of
 * calibration.ts (a time cap per candidate, out at twice the best, decided by a margin). A load
 * waits for it at most `blockMs`; past that the model runs on WASM and the rest is measured in the
 * background, the winner taking over between two runs (SwitchableModel).
 *
 * One rung is not measured: a model compiled for the Edge TPU goes to a ready TPU (`preferred`).
 * The compiled model runs only there; what the other engines would run is a different model, its
 * CPU twin, and the agreement rule cannot judge the TPU against it: Coral's own reference outputs
 * for MoveNet (test_data, Edge TPU vs CPU) differ by up to 0.4 in keypoint scores and 0.02 in
 * coordinates — about 100 and 5 quantization steps, far past the 3 steps that catch a wrong GPU
 * result — so a correct TPU would be judged wrong. The page also promises it ("Automatic (Coral,
 * else the fastest here)", and a kiosk runs on the TPU when one is there). Without a ready TPU the
 * CPU twin is measured on the other engines like any model.
 */
import { withDeadline } from '../../deadline.ts';
import { ReefError } from '../../errors.ts';
import { readModel, type Model } from '../../tflite/index.ts';
import type { LoadedModel, Tensor, TensorArray } from '../engine.ts';
import { tensorInfo } from '../model-tensors.ts';
import { hasEdgeTpuOps, partitionModel } from '../partition.ts';
import {
  calibrationInputs,
  compareOutputs,
  DEFAULT_CALIBRATION,
  timeRuns,
  type CalibrationOptions,
  type Timing,
} from './calibration.ts';
import { engineSetKey, type CachedChoice, type CandidateFigure, type ChoiceCache } from './choice-cache.ts';
import { engineLabel, type EngineFactory, type EngineKind, type EngineProbe, type EngineRegistry } from './registry.ts';
import { sha256Hex } from '../../sha256.ts';
import { SwitchableModel } from './switchable-model.ts';

/** `auto`, `wasm` (or `cpu`), `webgpu`, `webnn`, `usb`, `usb:N`. */
export type EngineRequest = string;

const REQUEST = /^(auto|wasm|cpu|webgpu|webnn|usb(:\d+)?)$/;

export interface SkippedEngine {
  engine: EngineKind;
  device?: string;
  reason: string;
}

export interface LadderDecision {
  /**
   * `requested`: the caller named the engine. `preferred`: compiled for the Edge TPU and a TPU is
   * ready. `only-engine`: one engine could run it, nothing to measure. `calibrated`: measured now. `cached`: measured earlier on the same engine set.
   */
  how: 'requested' | 'preferred' | 'only-engine' | 'calibrating' | 'calibrated' | 'cached';
  engineSet: string;
  /** Calibration figures of every engine that ran correctly (fastest first). */
  figures: CandidateFigure[];
  skipped: SkippedEngine[];
  /**
   * Wall time the calibration took (0 when nothing was measured now). While `calibrating`: the
   * time the load waited for it; the rest goes on in the background.
   */
  calibrationMs: number;
  /** While `calibrating`: the engines still being measured in the background. */
  pending?: string[];
  /** Calibrated partly in the background: how long the load waited for it (the rest ran meanwhile). */
  waitedMs?: number;
}

/**
 * Where a background calibration settled: the model already runs there (the same `model` object
 * the load returned). Undefined when the model was unloaded before it settled.
 */
export type LadderSettlement = Omit<LadderModel, 'model' | 'requested' | 'settled'>;

export interface LadderModel {
  model: LoadedModel;
  engine: EngineKind;
  /** e.g. `cpu`, `gpu`, `usb:0`. */
  device: string;
  /** Plain words: "GPU (WebGPU)", "CPU (WebAssembly)", "Coral usb:0". */
  label: string;
  requested: EngineRequest;
  /** Set when the model was meant for an engine it does not run on: why, in words. */
  fallback?: string;
  decision: LadderDecision;
  /**
   * Set when `auto` handed the model out on the WASM reference before its calibration was done
   * (`decision.how === 'calibrating'`): resolves once the other engines are measured and the
   * fastest correct one runs the model.
   */
  settled?: Promise<LadderSettlement | undefined>;
}

export interface LadderLoadOptions {
  engine?: EngineRequest;
  /**
   * Wait for the whole calibration (benchmarks, the CLI): never hand out a model whose engine may
   * still change.
   */
  wait?: boolean;
  /** The CPU version of a compiled model: what engines without the Edge TPU op run. */
  cpuTwin?: Uint8Array;
  name?: string;
}

export interface LadderEntry {
  engine: EngineKind;
  label: string;
  available: boolean;
  devices: string[];
  reason?: string;
}

export interface EngineLadderOptions {
  cache?: ChoiceCache;
  calibration?: CalibrationOptions;
  /** Wall clock for the calibration's total cost. */
  now?: () => number;
}

/** A candidate after its load and warm-up run, or why it has none. */
type Prepared = Ready | { candidate: Candidate; error: unknown } | { candidate: Candidate; late: true };

interface Ready {
  candidate: Candidate;
  model: LoadedModel;
  inputs: TensorArray[];
  outputs: Tensor[];
  startMs: number;
  loadMs: number;
  warmUpMs: number;
}

/** A candidate that ran correctly, with its figures. */
interface Measured {
  candidate: Candidate;
  model: LoadedModel;
  figure: CandidateFigure;
}

/** Runs a calibration's timed run in its turn (see SwitchableModel.exclusive). */
type Gate = <T>(work: () => Promise<T>) => Promise<T>;

/** An engine runtime that has not started in this long is not going to (a GPU device, LiteRT). */
const START_LIMIT_MS = 15_000;

interface Candidate {
  factory: EngineFactory;
  device: string;
  /** The model as given; `cpuTwin` set when this engine runs the compiled model's CPU version. */
  bytes: Uint8Array;
  cpuTwin: Uint8Array | undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why `factory` cannot run this model, or undefined when it can (before trying). */
function unfit(factory: EngineFactory, model: Model, compiled: boolean, hasTwin: boolean): string | undefined {
  const caps = factory.capabilities;
  if (caps.edgeTpuOps && !compiled) return 'the model is not compiled for the Edge TPU';
  if (!caps.edgeTpuOps && compiled && !hasTwin) {
    return 'the model is compiled for the Edge TPU and no CPU version of it was given';
  }
  if (caps.edgeTpuOps) return undefined;
  const subgraph = model.subgraphs[0];
  if (!subgraph) return 'the model has no subgraph';
  const io = [...subgraph.inputs, ...subgraph.outputs].map((i) => tensorInfo(subgraph.tensors[i]!).dtype);
  const foreign = io.find((d) => !caps.dtypes.includes(d));
  if (foreign) return `it cannot take ${foreign} inputs or outputs`;
  if (!caps.quantized && subgraph.tensors.some((t) => t.dtype === 'int8' || t.dtype === 'uint8')) {
    return 'it has no int8/uint8 kernels for this quantized model';
  }
  if (!caps.reefKernels) {
    const reef = partitionModel(model).ops.filter((op) => op.placement === 'reef');
    if (reef.length > 0) {
      return `ops ${[...new Set(reef.map((op) => op.name))].join(', ')} run only on Reef's CPU kernels`;
    }
  }
  return undefined;
}

export class EngineLadder {
  readonly #registry: EngineRegistry;
  readonly #cache: ChoiceCache | undefined;
  readonly #calibration: CalibrationOptions;
  readonly #now: () => number;

  constructor(registry: EngineRegistry, options: EngineLadderOptions = {}) {
    this.#registry = registry;
    this.#cache = options.cache;
    this.#calibration = options.calibration ?? DEFAULT_CALIBRATION;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Every registered engine, available or with the reason it is not (for the pages and `reef`). */
  async engines(): Promise<LadderEntry[]> {
    return Promise.all(
      this.#registry.list().map(async (f) => {
        const probe = await this.#probe(f);
        return probe.available
          ? { engine: f.kind, label: f.label, available: true, devices: probe.devices }
          : { engine: f.kind, label: f.label, available: false, devices: [], reason: probe.reason };
      }),
    );
  }

  async #probe(
    factory: EngineFactory,
  ): Promise<{ available: true; devices: string[] } | { available: false; reason: string }> {
    try {
      const probe = await factory.probe();
      if (probe.available && probe.devices.length === 0) return { available: false, reason: 'no device' };
      return probe;
    } catch (error) {
      return { available: false, reason: `its probe failed: ${message(error)}` };
    }
  }

  async load(bytes: Uint8Array, options: LadderLoadOptions = {}): Promise<LadderModel> {
    const requested = options.engine ?? 'auto';
    if (!REQUEST.test(requested)) {
      throw new ReefError(
        'INVALID_ARGUMENT',
        `engine "${requested}" is not one of auto, usb, usb:N, webgpu, webnn, wasm`,
        { reason: 'unknown-engine' },
      );
    }
    const model = readModel(bytes);
    const compiled = hasEdgeTpuOps(model);
    return requested === 'auto'
      ? this.#auto(bytes, model, compiled, options)
      : this.#requested(bytes, model, compiled, requested, options);
  }

  async #requested(
    bytes: Uint8Array,
    model: Model,
    compiled: boolean,
    requested: string,
    options: LadderLoadOptions,
  ): Promise<LadderModel> {
    const kind: EngineKind = requested.startsWith('usb')
      ? 'edgetpu'
      : requested === 'cpu'
        ? 'wasm'
        : (requested as EngineKind);
    const factory = this.#registry.get(kind);
    if (!factory) {
      throw new ReefError('UNAVAILABLE', `${requested}: no such engine is registered here`, {
        reason: 'engine-unavailable',
      });
    }
    const why = unfit(factory, model, compiled, options.cpuTwin !== undefined);
    if (why) {
      throw new ReefError('FAILED_PRECONDITION', `${factory.label} cannot run this model: ${why}`, {
        reason:
          kind === 'edgetpu' && !compiled
            ? 'not-compiled'
            : compiled && !factory.capabilities.edgeTpuOps && !options.cpuTwin
              ? 'needs-accelerator'
              : 'engine-cannot-run',
      });
    }
    // A named TPU is asked directly: the device pool's own errors (needs firmware, unknown id, no
    // WebUSB) say more than "unavailable".
    const probe: EngineProbe =
      kind === 'edgetpu' ? { available: true, devices: [requested] } : await this.#probe(factory);
    if (!probe.available) {
      throw new ReefError('UNAVAILABLE', `${factory.label} is not available: ${probe.reason}`, {
        reason: 'engine-unavailable',
      });
    }
    const device = kind === 'edgetpu' ? requested : probe.devices[0]!;
    const loaded = await factory.load(bytes, device, {
      ...(options.name ? { name: options.name } : {}),
      ...(compiled && !factory.capabilities.edgeTpuOps ? { cpuTwin: options.cpuTwin! } : {}),
    });
    const set = engineSetKey([{ engine: kind, devices: probe.devices }]);
    return this.#answer(factory, loaded, requested, undefined, {
      how: 'requested',
      engineSet: set,
      figures: [],
      skipped: [],
      calibrationMs: 0,
    });
  }

  #answer(
    factory: EngineFactory,
    model: LoadedModel,
    requested: string,
    fallback: string | undefined,
    decision: LadderDecision,
    settled?: Promise<LadderSettlement | undefined>,
  ): LadderModel {
    const device = model.device.replace(/\+cpu$/, '');
    return {
      model,
      engine: factory.kind,
      device,
      label: engineLabel(factory, device),
      requested,
      ...(fallback ? { fallback } : {}),
      decision,
      ...(settled ? { settled } : {}),
    };
  }

  async #auto(bytes: Uint8Array, model: Model, compiled: boolean, options: LadderLoadOptions): Promise<LadderModel> {
    const skipped: SkippedEngine[] = [];
    /** The probe's own words, for the fallback note ("no Edge TPU is connected; running on …"). */
    const tpuWhy: { engine: EngineKind; why: string }[] = [];
    const candidates: Candidate[] = [];
    const available: { engine: EngineKind; devices: string[] }[] = [];
    for (const factory of this.#registry.list()) {
      const probe = await this.#probe(factory);
      if (!probe.available) {
        skipped.push({ engine: factory.kind, reason: `${factory.label} is not available: ${probe.reason}` });
        tpuWhy.push({ engine: factory.kind, why: probe.reason });
        continue;
      }
      available.push({ engine: factory.kind, devices: probe.devices });
      const why = unfit(factory, model, compiled, options.cpuTwin !== undefined);
      if (why) {
        skipped.push({ engine: factory.kind, reason: `${factory.label} cannot run this model: ${why}` });
        continue;
      }
      candidates.push({
        factory,
        // The device pool places a model on a free TPU itself (multi-device placement stays there).
        device: factory.kind === 'edgetpu' ? 'usb' : probe.devices[0]!,
        bytes,
        cpuTwin: compiled && !factory.capabilities.edgeTpuOps ? options.cpuTwin : undefined,
      });
    }
    if (candidates.length === 0 && compiled && !options.cpuTwin) {
      throw new ReefError(
        'FAILED_PRECONDITION',
        `this model is compiled for the Edge TPU and no TPU is ready (${skipped.find((s) => s.engine === 'edgetpu')?.reason ?? 'no Edge TPU engine'}): plug one in, or load the CPU version of the model`,
        { reason: 'needs-accelerator' },
      );
    }
    if (candidates.length === 0) {
      throw new ReefError(
        'FAILED_PRECONDITION',
        `no engine here can run this model: ${skipped.map((s) => s.reason).join('; ')}`,
        { reason: 'no-engine' },
      );
    }
    const engineSet = engineSetKey(available);
    const fallbackFrom = (chosen: EngineFactory): string | undefined => {
      if (!compiled || chosen.capabilities.edgeTpuOps) return undefined;
      const tpu = tpuWhy.find((s) => s.engine === 'edgetpu');
      return `${tpu?.why ?? 'the Edge TPU did not run it'}; running on ${chosen.label}`;
    };
    const loadOptions = options.name ? { name: options.name } : {};
    const tpu = candidates.find((c) => c.factory.capabilities.edgeTpuOps);

    if (compiled && tpu && candidates.length > 1) {
      try {
        const loaded = await this.#loadCandidate(tpu, loadOptions);
        return this.#answer(tpu.factory, loaded, 'auto', undefined, {
          how: 'preferred',
          engineSet,
          figures: [],
          skipped,
          calibrationMs: 0,
        });
      } catch (error) {
        // The TPU went away while loading: the CPU twin runs elsewhere, and the answer says why.
        skipped.push({ engine: tpu.factory.kind, reason: `${tpu.factory.label} failed: ${message(error)}` });
        tpuWhy.push({ engine: tpu.factory.kind, why: message(error) });
        candidates.splice(candidates.indexOf(tpu), 1);
      }
    }
    if (candidates.length === 1) {
      const only = candidates[0]!;
      const loaded = await this.#loadCandidate(only, loadOptions);
      return this.#answer(only.factory, loaded, 'auto', fallbackFrom(only.factory), {
        how: 'only-engine',
        engineSet,
        figures: [],
        skipped,
        calibrationMs: 0,
      });
    }

    const key = await sha256Hex(bytes);
    const cached = await this.#cache?.get(key).catch(() => undefined);
    if (cached && cached.engineSet === engineSet) {
      const pick = candidates.find((c) => c.factory.kind === cached.engine);
      if (pick) {
        try {
          const loaded = await this.#loadCandidate(pick, loadOptions);
          return this.#answer(pick.factory, loaded, 'auto', fallbackFrom(pick.factory), {
            how: 'cached',
            engineSet,
            figures: cached.figures,
            skipped: [...skipped, ...cached.skipped],
            calibrationMs: 0,
          });
        } catch (error) {
          // The cached engine fails now: measure again, and say why it is not the choice any more.
          skipped.push({
            engine: pick.factory.kind,
            reason: `${pick.factory.label} failed to load: ${message(error)}`,
          });
          candidates.splice(candidates.indexOf(pick), 1);
        }
      }
    }
    return this.#calibrate(key, candidates, skipped, engineSet, fallbackFrom, loadOptions, options.wait === true);
  }

  async #calibrate(
    key: string,
    candidates: Candidate[],
    skipped: SkippedEngine[],
    engineSet: string,
    fallbackFrom: (chosen: EngineFactory) => string | undefined,
    loadOptions: { name?: string },
    wait: boolean,
  ): Promise<LadderModel> {
    const started = this.#now();
    const reference = candidates.find((c) => c.factory.kind === 'wasm');
    if (!reference) {
      // Nothing to check the others against: take the highest rung that loads, and say so.
      const [first] = candidates;
      const loaded = await this.#loadCandidate(first!, loadOptions);
      return this.#answer(first!.factory, loaded, 'auto', fallbackFrom(first!.factory), {
        how: 'only-engine',
        engineSet,
        figures: [],
        skipped: [
          ...skipped,
          ...candidates.slice(1).map((c) => ({
            engine: c.factory.kind,
            reason: `${c.factory.label} not measured: no WASM reference to check its outputs against`,
          })),
        ],
        calibrationMs: 0,
      });
    }
    // One engine at a time, the WASM reference first, so no timed run shares the CPU with another
    // engine's loading or compiling (overlapping them made both slower on 2 cores, and a late
    // engine's work would skew the others' figures).
    // The reference must run, however long it takes: every other engine is judged by it.
    const refPrepared = await this.#loadAndWarm(reference, loadOptions, await this.#start(reference));
    let refTiming: Timing;
    try {
      refTiming = await timeRuns(refPrepared.model, refPrepared.inputs, this.#calibration, refPrepared.warmUpMs);
    } catch (error) {
      refPrepared.model.dispose();
      throw error;
    }
    const measured: Measured[] = [
      { candidate: reference, model: refPrepared.model, figure: this.#figure(reference, refPrepared, refTiming, 0, 0) },
    ];
    const others = candidates.filter((c) => c !== reference);
    // Timed runs of the others take turns with a person's runs once the model is handed out.
    const handedOut: { model?: SwitchableModel } = {};
    const rest = this.#measureOthers(others, refPrepared.outputs, measured, skipped, loadOptions, {
      gate: (work) => (handedOut.model ? handedOut.model.exclusive(work) : work()),
      abandoned: () => handedOut.model?.disposed === true,
    });
    const settle = async (): Promise<{ factory: EngineFactory; model: LoadedModel; decision: LadderDecision }> => {
      // Fastest first; equal times keep the ladder's order (measured is in priority order, sort is stable).
      measured.sort((a, b) => a.figure.medianMs - b.figure.medianMs);
      const best = measured[0]!;
      const factory = best.candidate.factory;
      const decision: LadderDecision = {
        how: 'calibrated',
        engineSet,
        figures: measured.map((m) => m.figure),
        skipped: [...skipped],
        calibrationMs: this.#now() - started,
      };
      const choice: CachedChoice = {
        engineSet,
        engine: factory.kind,
        device: best.figure.device,
        figures: decision.figures,
        skipped: skipped.filter((s) => candidates.some((c) => c.factory.kind === s.engine)),
        calibrationMs: decision.calibrationMs,
        at: Date.now(),
      };
      await this.#cache?.set(key, choice).catch(() => {
        // A cache that cannot be written costs a calibration next time, never the load.
      });
      return { factory, model: best.model, decision };
    };
    const leftMs = this.#calibration.blockMs - (this.#now() - started);
    // `rest` never rejects: only the wait can end this race early (and `rest` goes on regardless).
    const inTime =
      wait ||
      others.length === 0 ||
      (leftMs > 0 &&
        (await withDeadline(rest, leftMs, 'the calibration outlasted the wait').then(
          () => true,
          () => false,
        )));
    if (inTime) {
      await rest;
      const done = await settle();
      for (const m of measured) if (m.model !== done.model) m.model.dispose();
      return this.#answer(done.factory, done.model, 'auto', fallbackFrom(done.factory), done.decision);
    }
    // The others take longer than a person should wait (a GPU compiling its shaders): the model runs
    // on the reference now, the rest is measured in the background, and the winner takes over.
    const provisional = new SwitchableModel(refPrepared.model);
    const waitedMs = this.#now() - started;
    handedOut.model = provisional;
    const settled = rest.then(async (): Promise<LadderSettlement | undefined> => {
      if (provisional.disposed) {
        for (const m of measured) if (m.model !== refPrepared.model) m.model.dispose();
        return undefined;
      }
      const done = await settle();
      done.decision.waitedMs = waitedMs;
      for (const m of measured) if (m.model !== done.model && m.model !== refPrepared.model) m.model.dispose();
      await provisional.switchTo(done.model);
      const { engine, device, label, fallback, decision } = this.#answer(
        done.factory,
        done.model,
        'auto',
        fallbackFrom(done.factory),
        done.decision,
      );
      return { engine, device, label, ...(fallback ? { fallback } : {}), decision };
    });
    return this.#answer(
      reference.factory,
      provisional,
      'auto',
      fallbackFrom(reference.factory),
      {
        how: 'calibrating',
        engineSet,
        figures: measured.map((m) => m.figure),
        skipped: [...skipped],
        calibrationMs: waitedMs,
        pending: others.filter((c) => !measured.some((m) => m.candidate === c)).map((c) => c.factory.label),
      },
      settled,
    );
  }

  /**
   * Every candidate but the reference, one at a time: loaded and warmed up (held to the cap), its
   * warm-up outputs checked against the reference's, then timed. Appends to `measured` and
   * `skipped`; never throws (a failure is part of the answer).
   */
  async #measureOthers(
    others: readonly Candidate[],
    reference: readonly Tensor[],
    measured: Measured[],
    skipped: SkippedEngine[],
    loadOptions: { name?: string },
    background: { gate: Gate; abandoned: () => boolean },
  ): Promise<void> {
    for (const candidate of others) {
      if (background.abandoned()) return;
      const { factory } = candidate;
      const p = await this.#prepare(candidate, loadOptions);
      if ('error' in p) {
        skipped.push({ engine: factory.kind, reason: `${factory.label} failed: ${message(p.error)}` });
        continue;
      }
      if ('late' in p) {
        skipped.push({
          engine: factory.kind,
          reason: `${factory.label} not measured: loading the model and its first run took longer than ${this.#calibration.capMs} ms`,
        });
        continue;
      }
      const agreement = compareOutputs(reference, p.outputs);
      if (!agreement.ok) {
        // Wrong once is wrong: no timed run for it.
        skipped.push({
          engine: factory.kind,
          device: p.model.device,
          reason: `${factory.label} gave wrong outputs: ${agreement.reason}`,
        });
        p.model.dispose();
        continue;
      }
      try {
        const best = Math.min(...measured.map((m) => m.figure.medianMs));
        const gated: LoadedModel = {
          inputs: p.model.inputs,
          outputs: p.model.outputs,
          engine: p.model.engine,
          device: p.model.device,
          run: (inputs) => background.gate(() => p.model.run(inputs)),
          dispose: () => p.model.dispose(),
        };
        const timing = await timeRuns(gated, p.inputs, this.#calibration, p.warmUpMs, best);
        measured.push({
          candidate,
          model: p.model,
          figure: this.#figure(candidate, p, timing, agreement.maxError, agreement.tolerance),
        });
      } catch (error) {
        p.model.dispose();
        skipped.push({ engine: factory.kind, reason: `${factory.label} failed: ${message(error)}` });
      }
    }
  }

  /** Starts `candidate`'s runtime (once per session; a no-op after) and returns how long it took. */
  async #start(candidate: Candidate): Promise<number> {
    const started = this.#now();
    const { factory } = candidate;
    if (factory.start) await withDeadline(factory.start(), START_LIMIT_MS, `${factory.label} did not start`);
    return this.#now() - started;
  }

  /** Loads the model on `candidate` and makes its warm-up run on the calibration input. */
  async #loadAndWarm(candidate: Candidate, options: { name?: string }, startMs: number): Promise<Ready> {
    const started = this.#now();
    const model = await this.#loadCandidate(candidate, options);
    const loadMs = this.#now() - started;
    try {
      const inputs = calibrationInputs(model.inputs);
      const warm = await model.run(inputs);
      return { candidate, model, inputs, outputs: warm.outputs, startMs, loadMs, warmUpMs: warm.ms };
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /**
   * A candidate other than the reference: started, loaded and warmed up, with its load and warm-up
   * held to the cap (`late` past it: the work cannot be cancelled, so its model is released when it
   * arrives). Never throws: a failure is part of the answer.
   */
  async #prepare(candidate: Candidate, options: { name?: string }): Promise<Prepared> {
    let late = false;
    try {
      const work = this.#loadAndWarm(candidate, options, await this.#start(candidate));
      return await withDeadline(work, this.#calibration.capMs, 'past the calibration cap', 'calibration-cap', () => {
        late = true;
        // The work cannot be cancelled: its model is released when it arrives.
        work.then(
          (ready) => ready.model.dispose(),
          () => {},
        );
      });
    } catch (error) {
      return late ? { candidate, late: true } : { candidate, error };
    }
  }

  #loadCandidate(candidate: Candidate, options: { name?: string }): Promise<LoadedModel> {
    return candidate.factory.load(candidate.bytes, candidate.device, {
      ...options,
      ...(candidate.cpuTwin ? { cpuTwin: candidate.cpuTwin } : {}),
    });
  }

  #figure(candidate: Candidate, ready: Ready, timing: Timing, maxError: number, tolerance: number): CandidateFigure {
    const device = ready.model.device.replace(/\+cpu$/, '');
    return {
      engine: candidate.factory.kind,
      device,
      label: engineLabel(candidate.factory, device),
      medianMs: timing.medianMs,
      maxError,
      tolerance,
      cost: {
        startMs: ready.startMs,
        loadMs: ready.loadMs,
        warmUpMs: timing.warmUpMs,
        timedRuns: timing.samplesMs.length,
        timedMs: timing.samplesMs.reduce((a, b) => a + b, 0),
        stop: timing.stop,
      },
    };
  }
}
