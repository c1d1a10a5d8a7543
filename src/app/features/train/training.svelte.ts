/**
 * Training a classifier on the Train page's dataset: transfer learning on Coral's MobileNet
 * embedding extractor, in the training worker. The results (CPU model, Edge TPU model, labels, tfjs
 * head) go into the model library, so they survive reloads and show up on the Live page.
 */
import { proxy } from 'comlink';
import type { CatalogEntryState, EmbedProgress } from '../../../worker/accelerator-api.ts';
import type { TrainingEvent, TransferOutput } from '../../../worker/training-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { stopTraining, withTraining } from '../../shared/training.ts';
import { saveFile } from '../../shared/download.ts';
import { downloadFailure } from '../../shared/download-failure.ts';
import { errorCode, errorMessage, errorReason } from '../../shared/errors.ts';
import { freeStorageBytes, storageRefusal } from '../../shared/import-limits.ts';
import { fileStem } from './train.svelte.ts';
import type { PreviewExtractor } from './train-preview.svelte.ts';

export type EpochProgress = Extract<TrainingEvent, { kind: 'epoch' }>['progress'];
export type TrainingMetrics = TransferOutput['metrics'];

export const EXTRACTOR_ENTRY = 'mobilenet-v1-1.0-224-embedding';
const RECORD_PREFIX = 'reef.trained.';

export interface StoredFile {
  sha256: string;
  name: string;
}

/** What a finished training left behind; small enough for localStorage, the bytes live in the library. */
export interface TrainedRecord {
  classes: string[];
  history: EpochProgress[];
  /** Held-out confusion matrix and per-class precision/recall, dataset warnings. */
  metrics: TrainingMetrics;
  samples: number;
  trainAccuracy: number;
  validationAccuracy: number | null;
  ms: number;
  backend: string;
  /** Which engine computed the embeddings ("edgetpu · usb:0", "wasm · cpu") and how fast. */
  embedding: EmbeddingReport;
  cpuModel: StoredFile;
  edgetpuModel?: StoredFile;
  labels: StoredFile;
  tfjsJson: string;
  /**
   * The head's weights (a few KB), kept in the record itself: the model library stores only
   * models and label files.
   */
  tfjsWeights: { name: string; base64: string };
}

export interface EmbeddingReport {
  on: string;
  perSecond: number;
  /** The TPU went away mid-run and every sample was embedded on WASM instead. */
  notice?: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A Coral in its application personality that can take a model now. */
function isReadyTpu(d: { personality: string; state: string }): boolean {
  return d.personality === 'app' && d.state !== 'error' && d.state !== 'needs-firmware';
}

export type TrainingPhase =
  | { kind: 'idle' }
  | { kind: 'embedding'; done: number; total: number; on: string }
  | { kind: 'training'; epoch: number; epochs: number }
  | { kind: 'busy'; text: string };

export class TrainingState {
  extractor = $state.raw<CatalogEntryState | undefined>(undefined);
  downloading = $state(false);
  phase = $state<TrainingPhase>({ kind: 'idle' });
  history = $state<EpochProgress[]>([]);
  record = $state.raw<TrainedRecord | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** The training worker died mid-run (closed, out of memory): the page offers to train again. */
  workerGone = $state(false);
  epochs = $state(30);
  /** Backprop trains the head for a number of epochs; imprinting averages each class's embeddings. */
  method = $state<'backprop' | 'imprint'>('backprop');
  running = $derived(this.phase.kind !== 'idle');
  #datasetId = '';
  #embeddingOnTpu = false;
  /** The last training asked for, so Retry can run it again on a fresh worker. */
  #lastRun: { name: string; images: () => Promise<{ label: number; image: Blob }[]> } | undefined;

  async load(datasetId: string): Promise<void> {
    this.#datasetId = datasetId;
    this.workerGone = false;
    const saved = localStorage.getItem(RECORD_PREFIX + datasetId);
    const parsed = saved ? (JSON.parse(saved) as Partial<TrainedRecord>) : undefined;
    // Records from before held-out metrics scored the training samples: not shown as if honest.
    const record =
      parsed?.metrics && parsed.embedding && parsed.tfjsWeights && 'base64' in parsed.tfjsWeights
        ? (parsed as TrainedRecord)
        : undefined;
    this.record = record;
    this.history = record?.history ?? [];
    await this.#refreshExtractor();
  }

  async #refreshExtractor(): Promise<void> {
    try {
      this.extractor = (await accelerator().catalog()).find((e) => e.id === EXTRACTOR_ENTRY);
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  /** The extractor comes from Coral's catalog like any model (checked against its pinned sha256). */
  async downloadExtractor(): Promise<void> {
    this.downloading = true;
    this.error = undefined;
    try {
      const entry = this.extractor;
      const missing = entry?.files.filter((f) => !f.cached).reduce((sum, f) => sum + f.sizeBytes, 0) ?? 0;
      const refusal = storageRefusal('The extractor needs', missing, await freeStorageBytes(navigator.storage));
      if (refusal) {
        this.error = refusal;
        return;
      }
      await accelerator().downloadCatalogEntry(EXTRACTOR_ENTRY, localStorage.getItem('reef.modelBaseUrl') ?? undefined);
      await this.#refreshExtractor();
    } catch (error) {
      // What to do next ("Choose extractor files…" is beside it), the host and never the long URL.
      this.error = downloadFailure(error, 'The extractor', localStorage.getItem('reef.modelBaseUrl') ?? '');
    } finally {
      this.downloading = false;
    }
  }

  async train(name: string, images: () => Promise<{ label: number; image: Blob }[]>): Promise<void> {
    const extractor = this.extractor;
    const cpu = extractor?.files.find((f) => f.role === 'cpu');
    const compiled = extractor?.files.find((f) => f.role === 'edgetpu');
    if (!extractor?.cached || !cpu) {
      this.error = 'Download the embedding extractor first.';
      return;
    }
    this.#lastRun = { name, images };
    this.error = undefined;
    this.workerGone = false;
    this.history = [];
    // Which engine embeds is not known until the devices answer: say nothing about it yet.
    this.phase = { kind: 'busy', text: 'Reading the samples…' };
    // Events come on the proxy's own port and may trail the result: drop them once training is over.
    let over = false;
    let embedStart = 0;
    let embedEnd = 0;
    let embedCount = 0;
    const onEvent = proxy((event: TrainingEvent) => {
      if (over) return;
      if (event.kind === 'embedding') {
        embedStart ||= performance.now();
        embedEnd = performance.now();
        embedCount = event.done;
        this.phase = { kind: 'embedding', done: event.done, total: event.total, on: 'wasm · cpu' };
      } else if (event.kind === 'epoch') {
        this.history = [...this.history, event.progress];
        this.phase = { kind: 'training', epoch: event.progress.epoch, epochs: event.progress.epochs };
      }
    });
    try {
      const api = accelerator();
      // One run, two compositions: the head on the compiled extractor (the Edge TPU model) and on
      // its CPU twin (runs in WASM anywhere; the Live page uses it).
      const cpuBytes = await api.readStoredFile(cpu.sha256);
      const compiledBytes = compiled?.cached ? await api.readStoredFile(compiled.sha256) : undefined;
      // With a Coral ready, the compiled extractor embeds on it (accelerator worker); else WASM.
      const tpu = compiledBytes ? (await api.devices()).find(isReadyTpu) : undefined;
      let embedding: EmbeddingReport | undefined;
      let embedded: { embeddings: Float32Array; embeddingIds: string[] } | undefined;
      if (compiledBytes && tpu) {
        this.phase = { kind: 'embedding', done: 0, total: 0, on: `edgetpu · ${tpu.id}` };
        const onProgress = proxy((p: EmbedProgress) => {
          if (!over) this.phase = { kind: 'embedding', done: p.done, total: p.total, on: p.on };
        });
        this.#embeddingOnTpu = true;
        const out = await api.embedDataset(
          { datasetId: this.#datasetId, extractor: compiledBytes, cpuTwin: cpuBytes, engine: tpu.id },
          onProgress,
        );
        this.#embeddingOnTpu = false;
        embedding = { on: out.label, perSecond: out.perSecond, ...(out.notice ? { notice: out.notice } : {}) };
        embedded = { embeddings: out.embeddings, embeddingIds: out.ids };
      }
      const request = compiledBytes
        ? {
            datasetId: this.#datasetId,
            extractor: compiledBytes,
            embedWith: cpuBytes,
            epochs: this.epochs,
            method: this.method,
            ...(embedded ?? {}),
          }
        : { datasetId: this.#datasetId, extractor: cpuBytes, epochs: this.epochs, method: this.method };
      const out = await withTraining((trainer) => trainer.trainTransfer(request, onEvent));
      over = true;
      embedding ??= {
        on: 'wasm · cpu',
        perSecond: embedEnd > embedStart ? (embedCount - 1) / ((embedEnd - embedStart) / 1000) : 0,
      };
      const stem = fileStem(name);
      this.phase = { kind: 'busy', text: 'Saving the models…' };
      const cpuComposed = compiledBytes ? out.cpuModel : out.model;
      if (!cpuComposed) throw new Error('The training worker returned no CPU model.');
      const cpuModel = await api.importFile(`${stem}.tflite`, cpuComposed);
      const edgetpuModel: StoredFile | undefined = compiledBytes
        ? await api.importFile(`${stem}_edgetpu.tflite`, out.model)
        : undefined;
      const labels = await api.importFile(`${stem}_labels.txt`, out.labelsTxt);
      const record: TrainedRecord = {
        classes: out.classes,
        history: this.history,
        metrics: out.metrics,
        samples: out.metrics.trainCount + (out.metrics.heldOut?.count ?? 0),
        trainAccuracy: out.train.accuracy,
        validationAccuracy: out.validation.accuracy,
        ms: out.ms,
        backend: out.backend,
        embedding,
        cpuModel: { sha256: cpuModel.sha256, name: cpuModel.name },
        ...(edgetpuModel ? { edgetpuModel: { sha256: edgetpuModel.sha256, name: edgetpuModel.name } } : {}),
        labels: { sha256: labels.sha256, name: labels.name },
        tfjsJson: out.tfjs.modelJson,
        tfjsWeights: { name: `${stem}-tfjs.weights.bin`, base64: toBase64(out.tfjs.weights) },
      };
      this.record = record;
      localStorage.setItem(RECORD_PREFIX + this.#datasetId, JSON.stringify(record));
    } catch (error) {
      if (errorCode(error) === 'CANCELLED') this.error = 'Training was cancelled.';
      else if (errorReason(error) === 'worker-gone') {
        this.workerGone = true;
        this.error = `Training stopped: ${errorMessage(error)} Your dataset is safe: Retry training starts a fresh worker.`;
      } else this.error = errorMessage(error);
      // Nothing of the failed run stays on screen: the curves go back to the last finished training's.
      this.history = this.record?.history ?? [];
    } finally {
      over = true;
      this.#embeddingOnTpu = false;
      this.phase = { kind: 'idle' };
    }
  }

  /** What the imprinting preview embeds with: the compiled extractor on a ready Coral, else the WASM twin. */
  async previewExtractor(): Promise<PreviewExtractor> {
    const api = accelerator();
    const cpu = this.extractor?.files.find((f) => f.role === 'cpu');
    const compiled = this.extractor?.files.find((f) => f.role === 'edgetpu');
    if (!this.extractor?.cached || !cpu) throw new Error('Download the embedding extractor first.');
    const cpuTwin = await api.readStoredFile(cpu.sha256);
    const tpu = compiled?.cached ? (await api.devices()).find(isReadyTpu) : undefined;
    if (compiled && tpu) return { extractor: await api.readStoredFile(compiled.sha256), cpuTwin, engine: tpu.id };
    return { extractor: cpuTwin, cpuTwin, engine: 'wasm' };
  }

  /** Trains again after the worker died: `withTraining` starts a fresh one. */
  async retry(): Promise<void> {
    const last = this.#lastRun;
    if (last) await this.train(last.name, last.images);
  }

  cancel(): void {
    if (this.#embeddingOnTpu) void accelerator().cancelEmbedding();
    this.#embeddingOnTpu = false;
    stopTraining();
    this.phase = { kind: 'idle' };
    this.error = 'Training was cancelled.';
  }

  async download(file: StoredFile): Promise<void> {
    try {
      const bytes = await accelerator().readStoredFile(file.sha256);
      saveFile(bytes as Uint8Array<ArrayBuffer>, file.name);
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  /** The tfjs head: model.json (pointing at the weights file by name) and the weights. */
  async downloadTfjs(): Promise<void> {
    const record = this.record;
    if (!record) return;
    const json = JSON.parse(record.tfjsJson) as { weightsManifest?: { paths: string[] }[] };
    for (const group of json.weightsManifest ?? []) group.paths = [record.tfjsWeights.name];
    saveFile(JSON.stringify(json), record.tfjsWeights.name.replace(/\.weights\.bin$/, '.json'), 'application/json');
    saveFile(fromBase64(record.tfjsWeights.base64), record.tfjsWeights.name);
  }

  /** Forgets the result when the dataset changes under it (samples or classes edited). */
  forget(): void {
    localStorage.removeItem(RECORD_PREFIX + this.#datasetId);
    this.record = undefined;
    this.history = [];
  }
}
