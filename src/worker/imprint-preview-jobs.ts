/**
 * The Train page's live imprinting preview, in the accelerator worker: each recorded sample is
 * embedded as it arrives (compiled extractor on the Edge TPU, or its CPU twin in WASM) and imprinted
 * into per-class means; camera frames are embedded the same way and scored against them. No
 * training step: a live prediction after the first few samples.
 */
import { ReefError } from '../lib/errors.ts';
import { ImprintingPreview } from '../lib/learn/imprint-preview.ts';
import { dequantize, type RunResult, type TensorArray } from '../lib/runtime/index.ts';
import { imageToTensor } from '../lib/tasks/index.ts';
import { toRgba, type WorkerImage } from './engines.ts';
import type { TpuModelInfo } from './tpu-engines.ts';

export interface PreviewOpenRequest {
  extractor: Uint8Array;
  cpuTwin: Uint8Array;
  /** `usb`, `usb:N` or `wasm`. */
  engine: string;
}

export interface PreviewPrediction {
  label: number;
  /** Cosine with each class's mean direction. */
  scores: number[];
  /** Embedding + scoring time of this frame. */
  ms: number;
  /** "edgetpu · usb:0" or "wasm · cpu". */
  on: string;
}

interface PreviewEngines {
  load(
    bytes: Uint8Array,
    options: { engine: string; cpuTwin: Uint8Array; name: string; wait?: boolean },
  ): Promise<TpuModelInfo>;
  run(id: string, inputs: TensorArray[]): Promise<RunResult>;
  fallBackToWasm(id: string, why?: string): Promise<TpuModelInfo>;
  unload(id: string): boolean;
}

function onLabel(info: TpuModelInfo): string {
  return info.decision.kind === 'edgetpu' ? `edgetpu · ${info.device}` : 'wasm · cpu';
}

export class ImprintPreviewJobs {
  readonly #engines: PreviewEngines;
  #info: TpuModelInfo | undefined;
  #preview: ImprintingPreview | undefined;

  constructor(engines: PreviewEngines) {
    this.#engines = engines;
  }

  /** Loads the extractor and starts an empty preview (a previous one is closed). */
  async open(request: PreviewOpenRequest): Promise<{ on: string }> {
    this.close();
    const info = await this.#engines.load(request.extractor, {
      engine: request.engine,
      // One engine for the whole job: `auto` may not finish measuring in the background mid-way.
      wait: true,
      cpuTwin: request.cpuTwin,
      name: 'imprinting preview',
    });
    this.#info = info;
    this.#preview = new ImprintingPreview(info.outputs[0]!.shape.reduce((a, b) => a * b, 1));
    return { on: onLabel(info) };
  }

  /** Embeds one sample of class `label` and imprints it. */
  async add(label: number, image: WorkerImage): Promise<{ on: string; samples: number }> {
    const preview = this.#open();
    preview.add(label, await this.#embed(image));
    return { on: onLabel(this.#info!), samples: [...preview.counts().values()].reduce((a, b) => a + b, 0) };
  }

  /** Scores a camera frame; null until two classes hold samples. */
  async predict(image: WorkerImage): Promise<PreviewPrediction | null> {
    const preview = this.#open();
    if (!preview.ready()) return null;
    const started = performance.now();
    const { label, scores } = preview.predict(await this.#embed(image));
    return { label, scores, ms: performance.now() - started, on: onLabel(this.#info!) };
  }

  close(): void {
    if (this.#info) this.#engines.unload(this.#info.id);
    this.#info = undefined;
    this.#preview = undefined;
  }

  #open(): ImprintingPreview {
    if (!this.#preview)
      throw new ReefError('FAILED_PRECONDITION', 'the imprinting preview is not open', { reason: 'preview-closed' });
    return this.#preview;
  }

  async #embed(image: WorkerImage): Promise<Float32Array> {
    const info = this.#info!;
    const input = imageToTensor(toRgba(image), info.inputs[0]!).data;
    try {
      return dequantize((await this.#engines.run(info.id, [input])).outputs[0]!);
    } catch (error) {
      // The TPU went away: the preview goes on in WASM (it is a preview, not a training run).
      if (info.decision.kind !== 'edgetpu' || !(error instanceof ReefError) || error.code !== 'UNAVAILABLE')
        throw error;
      this.#info = await this.#engines.fallBackToWasm(info.id, error.message);
      return dequantize((await this.#engines.run(this.#info.id, [input])).outputs[0]!);
    }
  }
}
