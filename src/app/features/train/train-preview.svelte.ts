/**
 * The Train page's imprinting preview: every sample is embedded as it arrives (in the accelerator
 * worker, on the Coral when one is ready, else the WASM twin) and imprinted; while the camera runs,
 * its frames get a live prediction from the class means, before any backprop training.
 */
import { transfer } from 'comlink';
import { accelerator } from '../../shared/accelerator.ts';
import type { CameraState } from '../../shared/camera.svelte.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { SampleView } from './train.svelte.ts';

/** Time between live predictions: quick enough to follow the camera, light on two cores. */
const FRAME_MS = 150;

export interface LivePreview {
  label: string;
  /** Cosine with the class mean (−1…1). */
  score: number;
  ms: number;
  on: string;
  /** Milliseconds from the last sample imprinted to this prediction. */
  sinceSample: number;
}

export interface PreviewExtractor {
  extractor: Uint8Array;
  cpuTwin: Uint8Array;
  engine: string;
}

export class TrainPreview {
  on = $state<string | undefined>(undefined);
  embedded = $state(0);
  live = $state<LivePreview | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** Sample ids already imprinted (bookkeeping, never rendered). */
  #added: string[] = [];
  #classIds: string[] = [];
  #classNames: string[] = [];
  #opening: Promise<void> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastSampleAt = 0;
  #openKey = '';

  /**
   * Opens the preview on the extractor (again when classes were removed or renamed: the means are
   * rebuilt from the stored samples) and imprints the samples it has not seen.
   */
  sync(
    source: () => Promise<PreviewExtractor>,
    classes: { id: string; name: string }[],
    samples: SampleView[],
    images: (ids: string[]) => Promise<Record<string, Blob>>,
  ): void {
    const key = classes.map((c) => c.id).join();
    const removed = this.#added.some((id) => !samples.some((s) => s.id === id));
    this.#classNames = classes.map((c) => c.name);
    if (key !== this.#openKey || removed || !this.#opening) {
      this.#openKey = key;
      this.#classIds = classes.map((c) => c.id);
      this.#added = [];
      this.embedded = 0;
      this.live = undefined;
      this.#opening = (async () => {
        const request = await source();
        this.on = (await accelerator().previewOpen(request)).on;
      })().catch((error: unknown) => {
        this.error = errorMessage(error);
      });
    }
    const fresh = samples.filter((s) => !this.#added.includes(s.id) && this.#classIds.includes(s.classId));
    this.#added.push(...fresh.map((s) => s.id));
    const opening = this.#opening;
    this.#queue = this.#queue.then(async () => {
      await opening;
      if (!fresh.length) return;
      const blobs = await images(fresh.map((s) => s.id));
      for (const s of fresh) {
        const blob = blobs[s.id];
        if (!blob) continue; // deleted meanwhile
        try {
          const bitmap = await createImageBitmap(blob);
          const out = await accelerator().previewAdd(this.#classIds.indexOf(s.classId), transfer(bitmap, [bitmap]));
          this.on = out.on;
          this.embedded = out.samples;
          this.#lastSampleAt = performance.now();
        } catch (error) {
          this.error = errorMessage(error);
        }
      }
    });
  }

  /** Predicts on camera frames until `stop` (one frame in flight at a time). */
  start(camera: CameraState, video: () => HTMLVideoElement | undefined): void {
    this.stop();
    const tick = async () => {
      const v = video();
      if (camera.active && v && this.#classIds.length >= 2) {
        try {
          await this.#queue;
          const frame = await camera.grab(v);
          if (frame) {
            const out = await accelerator().previewPredict(transfer(frame, [frame]));
            this.live = out
              ? {
                  label: this.#classNames[out.label] ?? `class ${out.label}`,
                  score: out.scores[out.label] ?? 0,
                  ms: out.ms,
                  on: out.on,
                  sinceSample: performance.now() - this.#lastSampleAt,
                }
              : undefined;
          }
        } catch (error) {
          this.error = errorMessage(error);
        }
      } else this.live = undefined;
      this.#timer = setTimeout(() => void tick(), FRAME_MS);
    };
    this.#timer = setTimeout(() => void tick(), 0);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  dispose(): void {
    this.stop();
    this.#opening = undefined;
    void accelerator()
      .previewClose()
      .catch(() => undefined);
  }
}
