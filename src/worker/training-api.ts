/**
 * The training worker's API (a worker of its own, so a long training never blocks inference and
 * the page can cancel by terminating it). Reads the dataset from IndexedDB itself, embeds with
 * LiteRT.js, trains with tfjs, and returns bytes ready to download: the composed model, the head
 * alone, labels.txt, the tfjs model, the dataset ZIP. Arguments and results are cloneable data.
 */
import { ReefError } from '../lib/errors.ts';
import {
  embeddingKey,
  extractorId,
  imageBatch,
  initTf,
  loadTfjsModel,
  quantizeTeachable,
  quantizeToTflite,
  readTeachableExport,
  trainSmallCnnModel,
  trainTransfer,
  type Calibration,
  type LabeledImages,
  type TfBackend,
  type TrainingEvent,
  type TeachableFile,
  type TrainingMetrics,
  type Top1Agreement,
} from '../lib/learn/index.ts';
import type { LoadedModel, WasmEngine } from '../lib/runtime/index.ts';
import {
  DatasetStore,
  exportDatasetZip,
  IdbEmbeddingCache,
  importDatasetZip,
  openReefDb,
  storageReport,
  type ReefDb,
  type StorageReport,
} from '../lib/store/index.ts';
import { readImageBlobHeader, type RgbaImage } from '../lib/tasks/index.ts';
import { BestEffortEmbeddingCache } from './best-effort-cache.ts';
import { decodeSample as decode } from './decode-sample.ts';
import type { CompatibilityReport } from '../lib/tflite/index.ts';

export type { TrainingEvent };

export interface TransferRequest {
  datasetId: string;
  /** The model the head is composed onto (compiled extractor or CPU model). */
  extractor: Uint8Array;
  /** CPU twin that computes the embeddings when `extractor` is compiled for the Edge TPU. */
  embedWith?: Uint8Array;
  /**
   * Embeddings computed elsewhere (the accelerator worker running the compiled extractor on the
   * Edge TPU), n × dim in the dataset's sample order. Then nothing is embedded here unless
   * augmented copies ask for it.
   */
  embeddings?: Float32Array;
  /** The sample ids `embeddings` were computed for, in order: checked against the dataset's. */
  embeddingIds?: string[];
  method?: 'backprop' | 'imprint';
  epochs?: number;
  hiddenUnits?: number;
  augmentCopies?: number;
  validationSplit?: number;
}

/** Where a dataset import is: `done` of `total` (entries unpacked, images checked); saving has no count. */
export interface ImportProgress {
  phase: 'reading' | 'unpacking' | 'checking' | 'saving';
  done: number;
  total: number;
}

export interface ImportedDataset {
  datasetId: string;
  name: string;
  classes: number;
  samples: number;
}

export interface TfjsFiles {
  modelJson: string;
  weights: Uint8Array;
}

export interface TransferOutput {
  classes: string[];
  /** Extractor + head, labels embedded: the "Edge TPU model" when the extractor was compiled. */
  model: Uint8Array;
  /** The head composed onto the CPU twin (when `embedWith` was given): the CPU .tflite export. */
  cpuModel: Uint8Array | null;
  /** The quantized head alone (input = the extractor's output). */
  headModel: Uint8Array;
  labelsTxt: Uint8Array;
  tfjs: TfjsFiles;
  train: { accuracy: number };
  validation: { accuracy: number | null };
  /** Held-out confusion matrix, per-class precision/recall and dataset warnings. */
  metrics: TrainingMetrics;
  ms: number;
  backend: TfBackend;
}

export interface OfflineRequest {
  datasetId: string;
  size?: number;
  epochs?: number;
  augmentCopies?: number;
  io?: 'uint8' | 'int8';
}

export interface OfflineOutput {
  classes: string[];
  /** Full-int8 TFLite: runs in WASM, ready for the Edge TPU compiler. */
  model: Uint8Array;
  labelsTxt: Uint8Array;
  tfjs: TfjsFiles;
  compatibility: CompatibilityReport;
  train: { accuracy: number };
  ms: number;
  backend: TfBackend;
}

export interface QuantizeRequest {
  tfjs: TfjsFiles;
  /** Representative images come from this dataset's samples. */
  datasetId: string;
  io?: 'uint8' | 'int8';
  calibration?: Calibration;
  inputRange?: { min: number; max: number };
}

export interface TeachableImportOutput {
  labels: string[];
  /** The Edge TPU model: full-int8, uint8 I/O (pixel bytes in), labels embedded; passes the Edge TPU check. */
  model: Uint8Array;
  compatibility: CompatibilityReport;
  /** The CPU model: the same int8 graph with float I/O (x / 127 − 1 in, probabilities out), labels embedded. */
  cpuModel: Uint8Array;
  /** Top-1 matches of the Edge TPU model with the float one on the dataset's samples (ties apart). */
  agreement: Top1Agreement;
  /** The same for the CPU model. */
  cpuAgreement: Top1Agreement;
  ms: number;
}

export interface QuantizeOutput {
  model: Uint8Array;
  compatibility: CompatibilityReport;
  ms: number;
}

export interface TrainingApiOptions {
  backends?: readonly TfBackend[];
  wasmPaths?: Record<string, string>;
  /** Defaults to createImageBitmap + OffscreenCanvas; Node tests pass a file decoder. */
  decode?: (blob: Blob) => Promise<RgbaImage>;
  /** Makes the WASM engine that runs the extractor (the worker entry knows where LiteRT's files are). */
  engine: () => WasmEngine;
  dbName?: string;
}

export class TrainingApi {
  #db: Promise<ReefDb> | undefined;
  #backend: Promise<TfBackend> | undefined;
  #engine: WasmEngine | undefined;
  #abort = new AbortController();
  #importAbort = new AbortController();
  readonly #backends: readonly TfBackend[];
  readonly #wasmPaths: Record<string, string> | undefined;

  readonly #decode: (blob: Blob) => Promise<RgbaImage>;
  readonly #dbName: string | undefined;

  readonly #makeEngine: () => WasmEngine;

  constructor(options: TrainingApiOptions) {
    this.#backends = options.backends ?? ['webgl', 'cpu'];
    this.#wasmPaths = options.wasmPaths;
    this.#decode = options.decode ?? decode;
    this.#dbName = options.dbName;
    this.#makeEngine = options.engine;
  }

  /**
   * Picks the tfjs backend for a job. Head training (Dense only) is fastest on tfjs-wasm in
   * Chromium (tests/bench/learn.bench.ts); convolution training needs gradients tfjs-wasm lacks,
   * so the small CNN skips it.
   */
  async prepare(job: 'head' | 'cnn' = 'head'): Promise<TfBackend> {
    const wanted = this.#backends.filter((b) => !(job === 'cnn' && b === 'wasm'));
    const key = wanted.join();
    if (this.#backendKey !== key) {
      this.#backendKey = key;
      this.#backend = initTf({ backends: wanted, ...(this.#wasmPaths ? { wasmPaths: this.#wasmPaths } : {}) });
    }
    return this.#backend!;
  }

  #backendKey = '';

  /** Stops the running job at its next batch (the job rejects with CANCELLED). */
  cancel(): void {
    this.#abort.abort();
  }

  /** Answers at once: the page's liveness check (a dead worker never answers). */
  ping(): true {
    return true;
  }

  /**
   * Reads a dataset ZIP (the file itself comes over, so the page never holds its bytes), with the
   * store's limits, checks that every sample decodes as an image, and stores it as a new dataset in
   * one transaction: a refused or cancelled import leaves nothing behind.
   */
  async importDataset(file: Blob, onProgress?: (progress: ImportProgress) => void): Promise<ImportedDataset> {
    this.#importAbort = new AbortController();
    const signal = this.#importAbort.signal;
    onProgress?.({ phase: 'reading', done: 0, total: file.size });
    const bytes = new Uint8Array(await file.arrayBuffer());
    signal.throwIfAborted();
    const snapshot = await importDatasetZip(bytes, {
      signal,
      onProgress: (done, total) => onProgress?.({ phase: 'unpacking', done, total }),
    });
    const total = snapshot.samples.length;
    for (const [i, sample] of snapshot.samples.entries()) {
      signal.throwIfAborted();
      // Size from the header first: a small PNG can claim gigapixels (typed error with the number).
      await readImageBlobHeader(sample.image, `sample ${i + 1} of ${total}`);
      try {
        await this.#decode(sample.image);
      } catch (cause) {
        throw new ReefError('INVALID_ARGUMENT', `sample ${i + 1} of ${total} is not an image this browser can read`, {
          reason: 'not-an-image',
          cause,
        });
      }
      onProgress?.({ phase: 'checking', done: i + 1, total });
    }
    signal.throwIfAborted();
    onProgress?.({ phase: 'saving', done: 0, total: 0 });
    const dataset = await (await this.#store()).restore(snapshot);
    return { datasetId: dataset.id, name: dataset.name, classes: snapshot.classes.length, samples: total };
  }

  /** Stops a dataset import at its next entry or image (it rejects, and stores nothing). */
  cancelImport(): void {
    this.#importAbort.abort(new ReefError('CANCELLED', 'the import was cancelled', { reason: 'cancelled' }));
  }

  async storage(): Promise<StorageReport> {
    return storageReport();
  }

  async exportDataset(datasetId: string): Promise<Uint8Array> {
    return exportDatasetZip(await (await this.#store()).snapshot(datasetId));
  }

  async trainTransfer(request: TransferRequest, onEvent?: (event: TrainingEvent) => void): Promise<TransferOutput> {
    const signal = this.#freshSignal();
    const backend = await this.prepare();
    // Embeddings from the accelerator worker and no augmented copies: neither pixels nor an engine needed.
    const needsPixels = !request.embeddings || (request.augmentCopies ?? 0) > 0;
    const data = await this.#dataset(request.datasetId, { decode: needsPixels });
    if (request.embeddingIds && request.embeddingIds.join('\n') !== data.ids?.join('\n'))
      throw new ReefError(
        'INVALID_ARGUMENT',
        'the dataset changed while it was being embedded: train again to embed the new samples',
        { reason: 'stale-embeddings' },
      );
    const embedBytes = request.embedWith ?? request.extractor;
    if (needsPixels) this.#engine ??= this.#makeEngine();
    const extractor = needsPixels ? await this.#engine!.load(embedBytes) : null;
    try {
      const result = await trainTransfer(request.extractor, extractor, data, {
        method: request.method ?? 'backprop',
        epochs: request.epochs ?? 30,
        hiddenUnits: request.hiddenUnits ?? 0,
        augmentCopies: request.augmentCopies ?? 0,
        validationSplit: request.validationSplit ?? 0.2,
        cache: new BestEffortEmbeddingCache(new IdbEmbeddingCache(await this.#database())),
        // Embedded here means embedded in WASM (the CPU twin): never mixed with TPU vectors.
        extractorId: embeddingKey(await extractorId(embedBytes), 'wasm'),
        ...(request.embedWith ? { cpuTwin: request.embedWith } : {}),
        ...(request.embeddings ? { embeddings: request.embeddings } : {}),
        signal,
        ...(onEvent ? { onEvent } : {}),
      });
      return {
        classes: result.classes,
        model: result.model,
        cpuModel: result.cpuModel,
        headModel: result.headModel,
        labelsTxt: result.labelsTxt,
        tfjs: result.tfjsHead,
        train: result.train,
        validation: result.validation,
        metrics: result.metrics,
        ms: result.ms,
        backend,
      };
    } finally {
      extractor?.dispose();
    }
  }

  async trainOffline(request: OfflineRequest, onEvent?: (event: TrainingEvent) => void): Promise<OfflineOutput> {
    const signal = this.#freshSignal();
    const backend = await this.prepare('cnn');
    const data = await this.#dataset(request.datasetId);
    const result = await trainSmallCnnModel(data, {
      size: request.size ?? 32,
      epochs: request.epochs ?? 20,
      augmentCopies: request.augmentCopies ?? 4,
      io: request.io ?? 'uint8',
      signal,
      ...(onEvent ? { onEvent } : {}),
    });
    return {
      classes: result.classes,
      model: result.model,
      labelsTxt: result.labelsTxt,
      tfjs: result.tfjsModel,
      compatibility: result.compatibility,
      train: result.train,
      ms: result.ms,
      backend,
    };
  }

  async quantize(request: QuantizeRequest): Promise<QuantizeOutput> {
    await this.prepare('cnn');
    const model = await loadTfjsModel(request.tfjs.modelJson, async () => request.tfjs.weights);
    try {
      const shape = model.inputs[0]?.shape ?? [];
      const size = shape[1];
      if (shape.length !== 4 || !size || shape[2] !== size || shape[3] !== 3)
        throw new ReefError(
          'INVALID_ARGUMENT',
          `the model input is [${shape.join(',')}]; a square RGB input is needed`,
          {
            reason: 'not-an-image-model',
          },
        );
      const data = await this.#dataset(request.datasetId);
      const x = imageBatch(data.images, size);
      try {
        const result = quantizeToTflite(model, x, {
          io: request.io ?? 'uint8',
          calibration: request.calibration ?? 'minmax',
          inputRange: request.inputRange ?? { min: 0, max: 1 },
        });
        return { model: result.model, compatibility: result.compatibility, ms: result.ms };
      } finally {
        x.dispose();
      }
    } finally {
      model.dispose();
    }
  }

  /**
   * A Teachable Machine image export (its ZIP, or model.json + weights.bin + metadata.json) to
   * full-int8, calibrated and checked on this dataset's samples (the agreement is measured by
   * running the quantized model in WASM).
   */
  async importTeachable(files: TeachableFile[], datasetId: string): Promise<TeachableImportOutput> {
    const started = performance.now();
    await this.prepare('cnn');
    const exported = readTeachableExport(files);
    const data = await this.#dataset(datasetId);
    if (!data.images.length)
      throw new ReefError(
        'FAILED_PRECONDITION',
        'add some samples first: they calibrate and check the quantized model',
        {
          reason: 'no-calibration-images',
        },
      );
    this.#engine ??= this.#makeEngine();
    const engine = this.#engine;
    // Both models (Edge TPU and CPU) stay loaded: the check alternates between them per sample.
    const loaded = new Map<Uint8Array, LoadedModel>();
    try {
      const result = await quantizeTeachable(exported, data.images, data.images, async (bytes, input) => {
        let model = loaded.get(bytes);
        if (!model) loaded.set(bytes, (model = await engine.load(bytes)));
        return (await model.run([input])).outputs[0]!.data as ArrayLike<number>;
      });
      return {
        labels: result.labels,
        model: result.model,
        compatibility: result.compatibility,
        cpuModel: result.cpuModel,
        agreement: result.agreement,
        cpuAgreement: result.cpuAgreement,
        ms: performance.now() - started,
      };
    } finally {
      for (const model of loaded.values()) model.dispose();
    }
  }

  #freshSignal(): AbortSignal {
    this.#abort = new AbortController();
    return this.#abort.signal;
  }

  #database(): Promise<ReefDb> {
    this.#db ??= openReefDb(this.#dbName);
    return this.#db;
  }

  async #store(): Promise<DatasetStore> {
    return new DatasetStore(await this.#database());
  }

  async #dataset(datasetId: string, options: { decode?: boolean } = {}): Promise<LabeledImages> {
    const snapshot = await (await this.#store()).snapshot(datasetId);
    const index = new Map(snapshot.classes.map((c, i) => [c.id, i]));
    const images: RgbaImage[] = [];
    if (options.decode ?? true) for (const s of snapshot.samples) images.push(await this.#decode(s.image));
    return {
      classes: snapshot.classes.map((c) => c.name),
      images,
      labels: Int32Array.from(snapshot.samples, (s) => index.get(s.classId)!),
      ids: snapshot.samples.map((s) => s.id),
    };
  }
}
