/**
 * The Train page's dataset: classes and their samples, kept in IndexedDB (src/lib/store) so they
 * survive reloads. Captures come from the camera (hold to record) or from image files.
 */
import { proxy } from 'comlink';
import {
  DatasetStore,
  displayImageType,
  exportDatasetZip,
  openReefDb,
  requestPersistentStorage,
  type ClassRecord,
  type DatasetRecord,
  type SampleRecord,
} from '../../../lib/store/index.ts';
import { MAX_IMAGE_PIXELS } from '../../../lib/tasks/image-header.ts';
import { openImageBitmap } from '../../../lib/tasks/image-bitmap.ts';
import type { ImportProgress } from '../../../worker/training-api.ts';
import { stopTraining, withTraining } from '../../shared/training.ts';
import { CameraState } from '../../shared/camera.svelte.ts';
import { saveFile } from '../../shared/download.ts';
import { errorCode, errorMessage, errorReason, isQuotaError } from '../../shared/errors.ts';

const CURRENT_KEY = 'reef.trainDataset';
/** Frames per second while the record button is held: enough variety without flooding the store. */
const RECORD_INTERVAL_MS = 150;
/** Captures are stored small: the extractor sees 224×224 at most. */
const CAPTURE_SIZE = 224;
/** How long a cancelled import may take to stop at its next entry before its worker is terminated. */
const CANCEL_GRACE_MS = 1500;

/** Storage full while recording or uploading: what happened, and the two ways out. */
export const SAMPLES_STORAGE_FULL =
  "Storage is full: the browser refused to save more samples, so the last ones were not kept. Free some space (delete stored models on the Models page, or samples you don't need), or export the dataset ZIP to keep a copy, then try again.";

export interface SampleView {
  id: string;
  classId: string;
  url: string;
}

export class TrainState {
  readonly camera = new CameraState();
  dataset = $state.raw<DatasetRecord | undefined>(undefined);
  classes = $state<ClassRecord[]>([]);
  samples = $state<SampleView[]>([]);
  recordingClass = $state<string | undefined>(undefined);
  message = $state<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  /** The dataset import in progress (it runs in the training worker). */
  importing = $state<ImportProgress | undefined>(undefined);
  /** The last import's outcome, shown beside the import control. */
  importMessage = $state<{ kind: 'ok' | 'note' | 'error'; text: string } | undefined>(undefined);
  /** Whether the browser promised not to evict the datasets (undefined until asked). */
  persisted = $state<boolean | undefined>(undefined);
  loaded = $state(false);
  counts = $derived(
    Object.fromEntries(this.classes.map((c) => [c.id, this.samples.filter((s) => s.classId === c.id).length])),
  );
  #store: DatasetStore | undefined;
  #recordTimer: ReturnType<typeof setInterval> | undefined;
  /** The class frames are being captured for (the button is held); `recordingClass` outlives it until saved. */
  #capturing: string | undefined;
  /** Captures still being stored (bookkeeping, not UI state). */
  #saving: Promise<void>[] = [];
  #cancelTimer: ReturnType<typeof setTimeout> | undefined;

  async load(): Promise<void> {
    try {
      const store = await this.#open();
      const all = await store.listDatasets();
      const wanted = localStorage.getItem(CURRENT_KEY);
      let dataset = all.find((d) => d.id === wanted) ?? all[0];
      if (!dataset) {
        // Like Teachable Machine: a new project starts with two empty classes.
        dataset = await store.createDataset('My classifier');
        await store.addClass(dataset.id, 'Class 1');
        await store.addClass(dataset.id, 'Class 2');
      }
      await this.#show(dataset);
    } catch (error) {
      this.message = { kind: 'error', text: `The dataset could not be opened: ${errorMessage(error)}` };
    } finally {
      this.loaded = true;
    }
    await this.#keepDatasets();
  }

  /** Asks the browser not to evict the datasets under storage pressure (Chromium decides without a prompt). */
  async #keepDatasets(): Promise<void> {
    try {
      this.persisted = await requestPersistentStorage();
    } catch {
      this.persisted = false;
    }
  }

  async #open(): Promise<DatasetStore> {
    this.#store ??= new DatasetStore(await openReefDb());
    return this.#store;
  }

  async #show(dataset: DatasetRecord): Promise<void> {
    const store = await this.#open();
    localStorage.setItem(CURRENT_KEY, dataset.id);
    this.dataset = dataset;
    this.classes = await store.listClasses(dataset.id);
    for (const s of this.samples) URL.revokeObjectURL(s.url);
    this.samples = (await store.listSamples(dataset.id)).map(toView);
  }

  async #try(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (isQuotaError(error)) {
        // Every further frame would fail the same way: stop recording now.
        if (this.#capturing) this.stopRecording();
        this.message = { kind: 'error', text: SAMPLES_STORAGE_FULL };
      } else this.message = { kind: 'error', text: errorMessage(error) };
    }
  }

  addClass(): Promise<void> {
    return this.#try(async () => {
      const dataset = this.dataset;
      if (!dataset) return;
      const names = this.classes.map((c) => c.name);
      let n = this.classes.length + 1;
      while (names.includes(`Class ${n}`)) n++;
      const record = await (await this.#open()).addClass(dataset.id, `Class ${n}`);
      this.classes = [...this.classes, record];
    });
  }

  renameClass(id: string, name: string): Promise<void> {
    return this.#try(async () => {
      const trimmed = name.trim();
      if (!trimmed || this.classes.some((c) => c.id !== id && c.name === trimmed)) {
        this.message = {
          kind: 'error',
          text: trimmed ? `There is already a class “${trimmed}”.` : 'A class needs a name.',
        };
        this.classes = [...this.classes];
        return;
      }
      await (await this.#open()).renameClass(id, trimmed);
      this.classes = this.classes.map((c) => (c.id === id ? { ...c, name: trimmed } : c));
    });
  }

  deleteClass(id: string): Promise<void> {
    return this.#try(async () => {
      await (await this.#open()).deleteClass(id);
      this.classes = this.classes.filter((c) => c.id !== id);
      for (const s of this.samples.filter((s) => s.classId === id)) URL.revokeObjectURL(s.url);
      this.samples = this.samples.filter((s) => s.classId !== id);
    });
  }

  deleteSample(id: string): Promise<void> {
    return this.#try(async () => {
      await (await this.#open()).deleteSample(id);
      const gone = this.samples.find((s) => s.id === id);
      if (gone) URL.revokeObjectURL(gone.url);
      this.samples = this.samples.filter((s) => s.id !== id);
    });
  }

  uploadImages(classId: string, files: File[]): Promise<void> {
    return this.#try(async () => {
      const dataset = this.dataset;
      if (!dataset) return;
      const images: Blob[] = [];
      const skipped: string[] = [];
      const tooLarge: string[] = [];
      for (const file of files) {
        // Decode once here (stored re-encoded as a JPEG), so a file the browser cannot read, or one
        // that is not an image at all, is refused now rather than stored.
        try {
          images.push(await shrink(await openImageBitmap(file, file.name)));
        } catch (error) {
          (errorReason(error) === 'image-too-large' ? tooLarge : skipped).push(file.name);
        }
      }
      const added = await (
        await this.#open()
      ).addSamples(
        dataset.id,
        images.map((image) => ({ classId, image, source: 'file' as const })),
      );
      this.samples = [...this.samples, ...added.map(toView)];
      const refused = [
        ...(skipped.length ? [`Not an image this browser can read: ${skipped.join(', ')}.`] : []),
        ...(tooLarge.length ? [`Over ${MAX_IMAGE_PIXELS / 1_000_000} megapixels: ${tooLarge.join(', ')}.`] : []),
      ];
      this.message = refused.length
        ? { kind: 'error', text: refused.join(' ') }
        : { kind: 'ok', text: `Added ${added.length} image${added.length === 1 ? '' : 's'}.` };
    });
  }

  /** Starts capturing frames for `classId` until `stopRecording()` (button released). */
  startRecording(classId: string, video: () => HTMLVideoElement | undefined): void {
    if (!this.camera.active || this.#capturing) return;
    this.#capturing = classId;
    this.recordingClass = classId;
    const capture = async (): Promise<void> => {
      // Read the element on each tick: a press right as the camera starts, before its video element
      // is bound, still records from the first frame the element shows.
      const element = video();
      const frame = element ? await this.camera.grab(element) : undefined;
      const dataset = this.dataset;
      // A frame grabbed after the release is not the person's; one grabbed before it is kept.
      if (!frame || !dataset || this.#capturing !== classId) {
        frame?.close();
        return;
      }
      const image = await shrink(frame);
      const [added] = await (await this.#open()).addSamples(dataset.id, [{ classId, image, source: 'camera' }]);
      if (added) this.samples = [...this.samples, toView(added)];
    };
    const tick = (): void => {
      const saving = this.#try(capture);
      this.#saving.push(saving);
      void saving.finally(() => (this.#saving = this.#saving.filter((p) => p !== saving)));
    };
    tick();
    this.#recordTimer = setInterval(tick, RECORD_INTERVAL_MS);
  }

  /**
   * Stops capturing at once; the button reads "recording" until the frames taken while it was held
   * are stored, so the count a person sees after it pops up is final.
   */
  stopRecording(): void {
    clearInterval(this.#recordTimer);
    this.#recordTimer = undefined;
    this.#capturing = undefined;
    void Promise.allSettled(this.#saving).then(() => {
      if (!this.#capturing) this.recordingClass = undefined;
    });
  }

  exportDataset(): Promise<void> {
    return this.#try(async () => {
      const dataset = this.dataset;
      if (!dataset) return;
      const zip = await exportDatasetZip(await (await this.#open()).snapshot(dataset.id));
      saveFile(zip as Uint8Array<ArrayBuffer>, `${fileStem(dataset.name)}-dataset.zip`, 'application/zip');
    });
  }

  /**
   * Imports a dataset ZIP in the training worker (the page never unpacks it, so a hostile ZIP cannot
   * freeze it), with progress; `cancelImport()` stops it. Nothing is stored unless all of it is.
   */
  async importDataset(file: File): Promise<void> {
    if (this.importing) return;
    this.importMessage = undefined;
    this.importing = { phase: 'reading', done: 0, total: file.size };
    // Progress comes on the proxy's own port and may trail the result: ignore it once over.
    let over = false;
    const onProgress = proxy((progress: ImportProgress) => {
      if (!over) this.importing = progress;
    });
    try {
      const imported = await withTraining((trainer) => trainer.importDataset(file, onProgress));
      over = true;
      await this.#show(await (await this.#open()).getDataset(imported.datasetId));
      this.importMessage = {
        kind: 'ok',
        text: `Imported “${imported.name}” with ${imported.samples} samples in ${imported.classes} classes.`,
      };
      await this.#keepDatasets();
    } catch (error) {
      over = true;
      this.importMessage =
        errorCode(error) === 'CANCELLED'
          ? { kind: 'note', text: `Import of ${file.name} cancelled: nothing was stored.` }
          : { kind: 'error', text: `${file.name} was not imported: ${errorMessage(error)}` };
    } finally {
      clearTimeout(this.#cancelTimer);
      this.#cancelTimer = undefined;
      this.importing = undefined;
    }
  }

  /** Asks the import to stop at its next entry; a worker too busy to hear it is terminated. */
  cancelImport(): void {
    if (!this.importing || this.#cancelTimer !== undefined) return;
    void withTraining((trainer) => trainer.cancelImport()).catch(() => undefined);
    this.#cancelTimer = setTimeout(() => {
      this.#cancelTimer = undefined;
      stopTraining();
    }, CANCEL_GRACE_MS);
  }

  /** The stored images of these samples (read from the store: the page's blob URLs may be revoked). */
  async sampleImages(ids: readonly string[]): Promise<Record<string, Blob>> {
    const dataset = this.dataset;
    if (!dataset) return {};
    const stored = await (await this.#open()).listSamples(dataset.id);
    return Object.fromEntries(stored.filter((s) => ids.includes(s.id)).map((s) => [s.id, s.image]));
  }

  /** Every sample's image with its class index (label order), for scoring a trained model. */
  async labelledImages(): Promise<{ label: number; image: Blob }[]> {
    const dataset = this.dataset;
    if (!dataset) return [];
    const order = this.classes.map((c) => c.id);
    return (await (await this.#open()).listSamples(dataset.id)).map((s) => ({
      label: order.indexOf(s.classId),
      image: s.image,
    }));
  }

  dispose(): void {
    this.stopRecording();
    this.camera.stop();
    for (const s of this.samples) URL.revokeObjectURL(s.url);
  }
}

/** A blob URL typed as a raster image whatever the record says, so opening it never renders a document. */
function toView(record: SampleRecord): SampleView {
  const image = new Blob([record.image], { type: displayImageType(record.image.type) });
  return { id: record.id, classId: record.classId, url: URL.createObjectURL(image) };
}

export function fileStem(name: string): string {
  return (
    name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'reef'
  );
}

/** Center-crops to a square and scales to CAPTURE_SIZE, as a JPEG: small in the store, enough for training. */
async function shrink(bitmap: ImageBitmap): Promise<Blob> {
  const side = Math.min(bitmap.width, bitmap.height);
  const canvas = new OffscreenCanvas(CAPTURE_SIZE, CAPTURE_SIZE);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser has no 2D canvas');
  ctx.drawImage(
    bitmap,
    (bitmap.width - side) / 2,
    (bitmap.height - side) / 2,
    side,
    side,
    0,
    0,
    CAPTURE_SIZE,
    CAPTURE_SIZE,
  );
  bitmap.close();
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
}
