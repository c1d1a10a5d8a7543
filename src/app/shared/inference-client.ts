/**
 * The page's side of inference: loads the chosen model in the accelerator worker once, then sends
 * frames (transferred ImageBitmaps) and gets back task results to draw.
 */
import { proxy, transfer } from 'comlink';
import type {
  EngineDecision,
  FrameOutcome,
  ModelLoadOptions,
  TaskOptions,
  TaskResult,
  TpuTaskResult,
} from '../../worker/accelerator-api.ts';
import { deserializeError } from '../../lib/errors.ts';
import { errorCode } from './errors.ts';
import { accelerator } from './accelerator.ts';
import type { PumpAnswer, PumpStream } from './frame-pump.ts';
import { toInferenceResult, type InferenceResult } from './inference.ts';
import type { ModelChoice, ModelTask } from './model-choices.svelte.ts';

/**
 * `auto` (a TPU when one is ready for a compiled model, else the fastest engine measured), `wasm`,
 * `webgpu`, `webnn`, or a device id such as `usb:0`.
 */
export type EngineChoice = string;

export interface InferenceRequest {
  model: ModelChoice;
  task: ModelTask;
  engine: EngineChoice;
  topK?: number;
  /** sha256 of a stored label file that overrides the model's own labels. */
  labels?: string;
}

/**
 * What to load for an engine choice. `wasm` runs the CPU version; `auto` and `usb:N` load the
 * compiled file on the worker's TPU engine with the CPU version as its twin, so a missing or
 * unplugged TPU falls back to WASM and the result says so.
 */
export function loadPlan(model: ModelChoice, engine: EngineChoice): LoadPlan {
  // Compiled in segments: the worker runs the set on the TPUs, and refuses other engines with the
  // reason (no CPU twin of segments) so the page shows that rather than a guess of its own.
  if (model.segments) return { segments: model.segments, options: { engine: engine as 'auto' } };
  if (engine === 'wasm' || engine === 'webgpu' || engine === 'webnn') {
    if (!model.cpu)
      throw new Error(
        `${model.title} is compiled for the Edge TPU only; ${engine === 'wasm' ? 'WASM' : 'the GPU'} needs its CPU version (import it too).`,
      );
    return { sha256: model.cpu, options: { engine } };
  }
  if (model.edgetpu)
    return {
      sha256: model.edgetpu,
      options: { engine: engine as 'auto', ...(model.cpu ? { cpuTwin: { sha256: model.cpu } } : {}) },
    };
  if (!model.cpu) throw new Error(`${model.title} has no model file.`);
  if (engine !== 'auto') throw new Error(`${model.title} is not compiled for the Edge TPU; choose WASM or Automatic.`);
  // The ladder measures the engines that can run it (once per model and engine set) and says why.
  return { sha256: model.cpu, options: { engine: 'auto' } };
}

/** What `loadModel` gets: one stored file (with its options), or every file of a segment set. */
export type LoadPlan =
  | { sha256: string; options: ModelLoadOptions }
  | { segments: { name: string; sha256: string }[]; options: ModelLoadOptions };

function planSource(plan: LoadPlan): { sha256: string } | { segments: { name: string; sha256: string }[] } {
  // Plain copies: the choice may be the page's reactive state, which postMessage cannot clone.
  return 'segments' in plan
    ? { segments: plan.segments.map((s) => ({ name: s.name, sha256: s.sha256 })) }
    : { sha256: plan.sha256 };
}

function planKey(plan: LoadPlan): string {
  return 'segments' in plan ? plan.segments.map((s) => s.sha256).join(',') : plan.sha256;
}

/** One model loaded in the worker at a time; changing model or engine reloads it. */
export class ModelSession {
  #key = '';
  #id: Promise<string> | undefined;
  /** How the ladder chose the engine of the loaded model (figures, skipped engines and why). */
  decision: EngineDecision | undefined;
  /**
   * `onSettled`: the engine choice changed after the load — `auto`'s calibration finished in the
   * background and the model now runs on the winner (a still image may be run again there).
   */
  readonly #onSettled: ((decision: EngineDecision) => void) | undefined;

  constructor(onSettled?: (decision: EngineDecision) => void) {
    this.#onSettled = onSettled;
  }

  async #ensure(request: InferenceRequest): Promise<string> {
    const plan = loadPlan(request.model, request.engine);
    const key = `${planKey(plan)}|${request.engine}`;
    if (key !== this.#key || !this.#id) {
      this.dispose();
      this.#key = key;
      this.decision = undefined;
      this.#id = accelerator()
        .loadModel(planSource(plan), plan.options)
        .then((info) => {
          if (this.#key === key) this.decision = info.decision;
          if (info.decision.how === 'calibrating') this.#follow(info.id, key);
          return info.id;
        });
      // A failed load is not cached: the next frame tries again.
      this.#id.catch(() => {
        if (this.#key === key) this.#id = undefined;
      });
    }
    return this.#id;
  }

  async run(request: InferenceRequest, frame: ImageBitmap): Promise<InferenceResult> {
    let id: string;
    try {
      id = await this.#ensure(request);
    } catch (error) {
      frame.close();
      throw error;
    }
    const { width, height } = frame;
    const labels = request.labels ? await this.#labels(request.labels) : undefined;
    const options = { topK: request.topK ?? 3, ...(labels ? { labels } : {}) };
    const copy = await createImageBitmap(frame);
    try {
      const result = await accelerator().runTask(id, transfer(frame, [frame]), request.task, options);
      return toInferenceResult(result, width, height);
    } catch (error) {
      // The TPU went away (unplugged, wedged): move this model to WASM and run the frame again.
      if (errorCode(error) !== 'UNAVAILABLE') throw error;
      const why = (error as { reason?: string }).reason === 'device-gone' ? 'unplugged' : 'failed';
      await accelerator().fallBackToWasm(id, why);
      const result = await accelerator().runTask(id, transfer(copy, [copy]), request.task, options);
      return toInferenceResult(result, width, height);
    } finally {
      copy.close();
    }
  }

  #fallingBack: Promise<unknown> | undefined;

  /** Waits for a calibration that goes on in the background, and shows its choice. */
  #follow(id: string, key: string): void {
    accelerator()
      .modelSettled(id)
      .then((choice) => {
        if (!choice || this.#key !== key) return;
        this.decision = choice.decision;
        this.#onSettled?.(choice.decision);
      })
      .catch(() => {
        // The worker went away: its watch says so; the load's choice stays on the page.
      });
  }

  /**
   * One camera frame through the worker's frame slot (newest wins). A TPU that went away moves the
   * model to WASM once, and this frame counts as dropped: the next one runs there.
   */
  async runFrame(request: InferenceRequest, frame: VideoFrame): Promise<PumpAnswer<InferenceResult>> {
    let target: { id: string; options: TaskOptions };
    try {
      target = await this.#frameTarget(request);
    } catch (error) {
      frame.close();
      throw error;
    }
    const key = this.#key;
    const { displayWidth: width, displayHeight: height } = frame;
    try {
      const answer = await accelerator().runFrame(target.id, transfer(frame, [frame]), request.task, target.options);
      if (answer.kind === 'dropped') return answer;
      return doneAnswer(answer, width, height);
    } catch (error) {
      return this.#frameFailed(error, key, target.id);
    }
  }

  /**
   * Camera frames read in the worker from `readable` (frame-stream.ts): each answer is pulled in
   * frame order, and before each pull the stream is pointed at the model `request()` names now (a
   * model or engine change, or a fallback to WASM, takes effect from the next frames; answers of
   * the old target count as dropped).
   */
  async openFrameStream(
    readable: ReadableStream<VideoFrame>,
    request: () => InferenceRequest,
  ): Promise<PumpStream<InferenceResult>> {
    const worker = accelerator();
    const stream = await worker.openFrameStream(transfer(readable, [readable]));
    let sent: { key: number; sig: string } | undefined;
    let keys = 0;
    const retarget = async (): Promise<{ key: number; sessionKey: string; id: string }> => {
      const req = request();
      const target = await this.#frameTarget(req);
      // The options follow from the request's top-k and label file: no need to compare label lists.
      const sig = `${this.#key}|${target.id}|${req.task}|${req.topK ?? 3}|${req.labels ?? ''}`;
      if (sig !== sent?.sig) {
        sent = { key: ++keys, sig };
        await worker.setFrameStreamTarget(stream, {
          key: sent.key,
          id: target.id,
          task: req.task,
          options: target.options,
        });
      }
      return { key: sent.key, sessionKey: this.#key, id: target.id };
    };
    return {
      next: async () => {
        const now = await retarget();
        const answer = await worker.nextStreamFrame(stream);
        if (answer.kind === 'ended') return answer;
        const { frameId, timestamp, readAt, newest } = answer;
        const frame = { frameId, timestamp, readAt, newest };
        // An answer of an earlier target (the model changed while it ran) is not drawn.
        if (answer.key !== now.key || answer.kind === 'dropped') return { ...frame, kind: 'dropped' };
        if (answer.kind === 'failed')
          return { ...frame, ...(await this.#frameFailed(deserializeError(answer.error), now.sessionKey, now.id)) };
        return { ...frame, ...doneAnswer(answer, answer.width, answer.height) };
      },
      close: () => void worker.closeFrameStream(stream).catch(() => undefined),
    };
  }

  /** The loaded model's id for `request` (loading it if needed) and the task options frames run with. */
  async #frameTarget(request: InferenceRequest): Promise<{ id: string; options: TaskOptions }> {
    const id = await this.#ensure(request);
    await this.#fallingBack;
    const labels = request.labels ? await this.#labels(request.labels) : undefined;
    return { id, options: { topK: request.topK ?? 3, ...(labels ? { labels } : {}) } };
  }

  /**
   * A frame failed on the model loaded as `key`. The model was switched while it ran (and unloaded
   * under it): dropped, the next frame runs the new one. A TPU that went away: the model moves to
   * WASM once, and the frame counts as dropped. Anything else is the caller's failure.
   */
  async #frameFailed(error: unknown, key: string, id: string): Promise<{ kind: 'dropped' }> {
    if (this.#key !== key) return { kind: 'dropped' };
    if (errorCode(error) !== 'UNAVAILABLE') throw error;
    const why = (error as { reason?: string }).reason === 'device-gone' ? 'unplugged' : 'failed';
    this.#fallingBack ??= accelerator()
      .fallBackToWasm(id, why)
      .finally(() => (this.#fallingBack = undefined));
    await this.#fallingBack;
    return { kind: 'dropped' };
  }

  #labelCache: { sha256: string; labels: Promise<string[]> } | undefined;

  #labels(sha256: string): Promise<string[]> {
    if (this.#labelCache?.sha256 !== sha256) this.#labelCache = { sha256, labels: accelerator().readLabels(sha256) };
    return this.#labelCache.labels;
  }

  dispose(): void {
    const id = this.#id;
    this.#id = undefined;
    this.#key = '';
    // Unloading a model that failed to load has nothing to free.
    id?.then((loaded) => accelerator().unloadModel(loaded)).catch(() => undefined);
  }
}

/** Times `iterations` runs of the model in the worker; `onProgress` gets the count done so far. */
export function benchmarkModel(
  request: InferenceRequest,
  iterations: number,
  onProgress: (done: number) => void,
): Promise<BenchmarkResult> {
  const plan = loadPlan(request.model, request.engine);
  return accelerator().benchmarkModel(planSource(plan), plan.options, iterations, proxy(onProgress));
}

export interface BenchmarkResult {
  engine: string;
  device: string;
  samplesMs: number[];
  decision: EngineDecision;
  /** A model compiled in segments: each segment's file and the TPU it ran on. */
  segments?: { segment: string; device: string }[];
}

/** A worker answer for a frame as the pump takes it: the result mapped for the page's overlays. */
function doneAnswer(
  answer: Extract<FrameOutcome<TaskResult | TpuTaskResult>, { kind: 'done' }>,
  width: number,
  height: number,
): PumpAnswer<InferenceResult> {
  const { stages } = answer.result;
  return {
    kind: 'done',
    result: toInferenceResult(answer.result, width, height),
    times: answer.times,
    ...(stages ? { stages } : {}),
  };
}
