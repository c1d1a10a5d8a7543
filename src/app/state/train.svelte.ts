/**
 * The Train page's dataset: classes and their samples, kept in IndexedDB (src/lib/store) so they
 * survive reloads. Captures come from the camera (hold to record) or from image files.
 */
import {
  DatasetStore,
  exportDatasetZip,
  importDatasetZip,
  openReefDb,
  type ClassRecord,
  type DatasetRecord,
  type SampleRecord,
} from '../../lib/store/index.ts';
import { CameraState } from './camera.svelte.ts';
import { saveFile } from './download.ts';
import { errorMessage } from './errors.ts';

const CURRENT_KEY = 'reef.trainDataset';
/** Frames per second while the record button is held: enough variety without flooding the store. */
const RECORD_INTERVAL_MS = 150;
/** Captures are stored small: the extractor sees 224×224 at most. */
const CAPTURE_SIZE = 224;

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
      this.message = { kind: 'error', text: errorMessage(error) };
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
      for (const file of files) {
        // Decode once here, so a file the browser cannot read is refused now rather than at training time.
        try {
          images.push(await shrink(await createImageBitmap(file)));
        } catch {
          skipped.push(file.name);
        }
      }
      const added = await (
        await this.#open()
      ).addSamples(
        dataset.id,
        images.map((image) => ({ classId, image, source: 'file' as const })),
      );
      this.samples = [...this.samples, ...added.map(toView)];
      this.message = skipped.length
        ? { kind: 'error', text: `Not an image this browser can read: ${skipped.join(', ')}` }
        : { kind: 'ok', text: `Added ${added.length} image${added.length === 1 ? '' : 's'}.` };
    });
  }

  /** Starts capturing frames for `classId` until `stopRecording()` (button released). */
  startRecording(classId: string, video: HTMLVideoElement | undefined): void {
    if (!video || !this.camera.active || this.#capturing) return;
    this.#capturing = classId;
    this.recordingClass = classId;
    const capture = async (): Promise<void> => {
      const frame = await this.camera.grab(video);
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

  importDataset(file: File): Promise<void> {
    return this.#try(async () => {
      const snapshot = importDatasetZip(new Uint8Array(await file.arrayBuffer()));
      const dataset = await (await this.#open()).restore(snapshot);
      await this.#show(dataset);
      this.message = { kind: 'ok', text: `Imported “${dataset.name}” with ${snapshot.samples.length} samples.` };
    });
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

function toView(record: SampleRecord): SampleView {
  return { id: record.id, classId: record.classId, url: URL.createObjectURL(record.image) };
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
