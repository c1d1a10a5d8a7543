/**
 * Reef's WASM engine: LiteRT.js behind the partitioner, with Reef kernels for what LiteRT.js lacks.
 * The same class runs in the accelerator worker (threaded build when cross-origin isolated) and in
 * Node for the CLI; only the `LiteRtLoader` differs. With more than one thread available, each model
 * is compiled with 1 thread and with all of them, timed, and keeps the faster (thread-choice.ts).
 */
import type { LoadedModel } from '../engine.ts';
import { calibrationInputs } from '../ladder/calibration.ts';
import { LiteRtRuntime, type LiteRtLoader, type LiteRtVariantInfo } from '../litert-runtime.ts';
import type { ReefKernel } from '../kernels/registry.ts';
import { chooseThreads, DEFAULT_THREAD_CHOICE } from '../thread-choice.ts';
import { PartitionedEngine, type LoadOptions, type SubmodelExtractor } from './composite.ts';

export interface WasmEngineOptions {
  extract?: SubmodelExtractor;
  kernels?: readonly ReefKernel[];
  /** The per-model thread choice's measurement; false loads every model with all threads. */
  threadChoice?: { runs: number; budgetMs: number; extraCostMs?: number; firstRunLimitMs?: number } | false;
}

/**
 * A model whose first run (with all threads, allocation included) takes longer is not timed with 1
 * thread (`firstRunLimitMs`). In Chromium on 2 cores first runs took 7–14 ms for MobileNet 0.25/128
 * (1 thread wins there) and 45–95 ms for MobileNet 224 and MoveNet (2 threads win by far).
 */
const SMALL_MODEL_FIRST_RUN_MS = 25;

/** A model's own LiteRT build and thread count (with the choice's figures), as its load set them. */
export function modelRuntime(model: LoadedModel): LiteRtVariantInfo | undefined {
  return (model as { liteRtRuntime?: LiteRtVariantInfo }).liteRtRuntime;
}

function withRuntime(model: LoadedModel, liteRtRuntime: LiteRtVariantInfo): LoadedModel {
  return Object.assign(model, { liteRtRuntime });
}

export class WasmEngine extends PartitionedEngine {
  readonly #threadChoice: NonNullable<WasmEngineOptions['threadChoice']>;

  constructor(loader: LiteRtLoader, options: WasmEngineOptions = {}) {
    const { threadChoice = DEFAULT_THREAD_CHOICE, ...rest } = options;
    super({ runtime: new LiteRtRuntime(loader), ...rest });
    this.#threadChoice = threadChoice;
  }

  override async load(bytes: Uint8Array, options: LoadOptions = {}): Promise<LoadedModel> {
    const info = await this.runtimeInfo();
    const most = info.threads;
    if (options.threads !== undefined || most <= 1 || this.#threadChoice === false) {
      const threads = Math.max(1, Math.min(most, options.threads ?? most));
      return withRuntime(await super.load(bytes, options), { ...info, threads });
    }
    const all = await super.load(bytes, options);
    const inputs = calibrationInputs(all.inputs);
    // Only a small model can gain: 1 thread saves at most the hop its spinning pool slows (~0.3 ms)
    // and costs a big model 1.6–1.7× its run. A first run (allocation included) over the limit says
    // "big": it keeps all threads, and its load pays no second compile nor a noisy timing.
    try {
      const started = performance.now();
      await all.run(inputs);
      const limit = this.#threadChoice.firstRunLimitMs ?? SMALL_MODEL_FIRST_RUN_MS;
      if (performance.now() - started > limit) return withRuntime(all, { ...info, threads: most });
    } catch {
      // A model that fails when it runs still loads, as without the choice: its runs report the failure.
      return withRuntime(all, info);
    }
    let one: LoadedModel;
    try {
      one = await super.load(bytes, { ...options, threads: 1 });
    } catch (error) {
      all.dispose();
      throw error;
    }
    const candidate = (model: LoadedModel, threads: number) => ({
      threads,
      run: async () => (await model.run(inputs)).outputs.map((o) => o.data),
    });
    try {
      const choice = await chooseThreads([candidate(one, 1), candidate(all, most)], {
        ...this.#threadChoice,
        fallback: most,
      });
      const [keep, drop] = choice.threads === 1 ? [one, all] : [all, one];
      drop.dispose();
      return withRuntime(keep, { ...info, threads: choice.threads, threadChoice: choice });
    } catch {
      // A model that fails when it runs still loads, as without the choice: its runs report the failure.
      one.dispose();
      return withRuntime(all, info);
    }
  }
}
