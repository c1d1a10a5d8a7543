/**
 * Embeddings for training, computed in the accelerator worker: the compiled extractor on an Edge
 * TPU (or its CPU twin in WASM), over a stored dataset in its sample order, cached per sample under
 * extractor AND engine. The training worker then trains on them (`TransferRequest.embeddings`).
 * When the TPU goes away mid-run, the rest runs on WASM and the samples the TPU already did are
 * embedded again on WASM: one run, one kind of embedding, and a notice saying so.
 */
import { ReefError } from '../lib/errors.ts';
import { sha256Hex } from '../lib/sha256.ts';
import { embedImages, embeddingKey, type EmbeddingEngine } from '../lib/learn/embeddings.ts';
import type { LoadedModel, RunResult, TensorArray } from '../lib/runtime/index.ts';
import { DatasetStore } from '../lib/store/datasets.ts';
import { openReefDb, type ReefDb } from '../lib/store/db.ts';
import { IdbEmbeddingCache } from '../lib/store/embedding-cache.ts';
import type { RgbaImage } from '../lib/tasks/index.ts';
import { BestEffortEmbeddingCache } from './best-effort-cache.ts';
import { decodeSample } from './decode-sample.ts';
import type { TpuModelInfo } from './tpu-engines.ts';

export interface EmbedDatasetRequest {
  datasetId: string;
  /** The compiled extractor (what runs on the TPU) and its CPU twin (what runs in WASM). */
  extractor: Uint8Array;
  cpuTwin: Uint8Array;
  /** `usb`, `usb:N` or `wasm`. */
  engine: string;
}

export interface EmbedProgress {
  done: number;
  total: number;
  /** "edgetpu · usb:0" or "wasm · cpu": what is embedding right now. */
  on: string;
}

export interface EmbedDatasetResult {
  /** n × dim in the dataset's sample order. */
  embeddings: Float32Array;
  dim: number;
  ids: string[];
  engine: EmbeddingEngine;
  /** "edgetpu · usb:0" or "wasm · cpu". */
  label: string;
  /** Embeddings computed (not read from the cache) per second of embedding time. */
  perSecond: number;
  computed: number;
  cached: number;
  /** Set when the TPU went away mid-run and everything was embedded on WASM instead. */
  notice?: string;
}

/** What the embedder needs from the worker's engine ladder (TpuEngines). */
export interface EmbedEngines {
  load(
    bytes: Uint8Array,
    options: { engine: string; cpuTwin: Uint8Array; name: string; wait?: boolean },
  ): Promise<TpuModelInfo>;
  run(id: string, inputs: TensorArray[]): Promise<RunResult>;
  fallBackToWasm(id: string, why?: string): Promise<TpuModelInfo>;
  unload(id: string): boolean;
}

export interface EmbeddingJobsOptions {
  dbName?: string;
  decode?: (blob: Blob) => Promise<RgbaImage>;
}

/** The Coral is not there (any more): unplugged, or no longer listed under the id asked for. */
function tpuGone(error: unknown): boolean {
  return error instanceof ReefError && (error.code === 'UNAVAILABLE' || error.reason === 'unknown-device');
}

function labelOf(info: TpuModelInfo): { engine: EmbeddingEngine; label: string } {
  return info.decision.kind === 'edgetpu'
    ? { engine: 'edgetpu', label: `edgetpu · ${info.device}` }
    : { engine: 'wasm', label: 'wasm · cpu' };
}

export class EmbeddingJobs {
  readonly #engines: EmbedEngines;
  readonly #decode: (blob: Blob) => Promise<RgbaImage>;
  readonly #dbName: string | undefined;
  #db: Promise<ReefDb> | undefined;
  #abort = new AbortController();

  constructor(engines: EmbedEngines, options: EmbeddingJobsOptions = {}) {
    this.#engines = engines;
    this.#decode = options.decode ?? decodeSample;
    this.#dbName = options.dbName;
  }

  cancel(): void {
    this.#abort.abort();
  }

  async embedDataset(
    request: EmbedDatasetRequest,
    onProgress?: (p: EmbedProgress) => void,
  ): Promise<EmbedDatasetResult> {
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#db ??= openReefDb(this.#dbName);
    const db = await this.#db;
    const snapshot = await new DatasetStore(db).snapshot(request.datasetId);
    const ids = snapshot.samples.map((s) => s.id);
    const images: RgbaImage[] = [];
    for (const s of snapshot.samples) images.push(await this.#decode(s.image));
    const cache = new BestEffortEmbeddingCache(new IdbEmbeddingCache(db));
    // The CPU twin's key matches the training worker's WASM embeddings (same vectors).
    const keys = { edgetpu: await sha256Hex(request.extractor), wasm: await sha256Hex(request.cpuTwin) };

    const load = (engine: string) =>
      this.#engines.load(request.extractor, {
        engine,
        // One engine for the whole job: `auto` may not finish measuring in the background mid-way.
        wait: true,
        cpuTwin: request.cpuTwin,
        name: 'embedding extractor',
      });
    let notice: string | undefined;
    let info: TpuModelInfo;
    try {
      info = await load(request.engine);
    } catch (error) {
      // The page saw the Coral ready a moment ago; pulled out since, the run still trains (on WASM).
      if (!request.engine.startsWith('usb') || !tpuGone(error)) throw error;
      info = await load('wasm');
      notice =
        `${request.engine} went away before embedding started, so every sample was embedded on WASM ` +
        '(the CPU twin) instead.';
    }
    try {
      for (;;) {
        const { engine, label } = labelOf(info);
        const model = this.#asLoadedModel(info);
        const started = performance.now();
        try {
          const out = await embedImages(model, images, {
            cache,
            extractorId: embeddingKey(keys[engine], engine),
            ids,
            signal,
            onProgress: (done, total) => onProgress?.({ done, total, on: label }),
          });
          const computed = images.length - out.cached;
          const seconds = (performance.now() - started) / 1000;
          return {
            embeddings: out.embeddings,
            dim: out.dim,
            ids,
            engine,
            label,
            perSecond: computed > 0 && seconds > 0 ? computed / seconds : 0,
            computed,
            cached: out.cached,
            ...(notice ? { notice } : {}),
          };
        } catch (error) {
          if (engine !== 'edgetpu' || !(error instanceof ReefError) || error.code !== 'UNAVAILABLE') throw error;
          const device = info.device;
          info = await this.#engines.fallBackToWasm(info.id, error.message);
          notice =
            `${device} went away while embedding, so every sample was embedded on WASM (the CPU twin) ` +
            'instead: one training run never mixes TPU and CPU embeddings.';
        }
      }
    } finally {
      this.#engines.unload(info.id);
    }
  }

  #asLoadedModel(info: TpuModelInfo): LoadedModel {
    const engines = this.#engines;
    return {
      inputs: info.inputs,
      outputs: info.outputs,
      engine: info.engine,
      device: info.device,
      run: (inputs) => engines.run(info.id, [...inputs]),
      dispose: () => engines.unload(info.id),
    };
  }
}
