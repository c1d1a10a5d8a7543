/**
 * The accelerator worker's API. Its type is the contract with the page (src/app/accelerator.ts):
 * arguments and results are plain cloneable data, never class instances or USBDevices.
 */
import { detectCapabilities, type Capabilities } from './capabilities.ts';
import { WorkerDevices, type DeviceInfo } from './devices.ts';
import { ModelLibrary, type CatalogEntryState, type DownloadProgress, type LocalFile } from './model-library.ts';
import { workerUsb } from './usb-source.ts';
import { inspectModel, type ModelInspection } from '../lib/edgetpu/executable/index.ts';
import { transfer } from 'comlink';
import { parseLabels } from '../lib/tasks/index.ts';
import { allocateTensorArray, elementCount, type RunResult, type TensorArray } from '../lib/runtime/index.ts';
import {
  WorkerEngines,
  type LoadedModelInfo,
  type LoadModelOptions,
  type TaskOptions,
  type TaskResult,
  type WorkerImage,
} from './engines.ts';

export type { Capabilities, CatalogEntryState, DeviceInfo, DownloadProgress, LocalFile, ModelInspection };
export type { LoadedModelInfo, LoadModelOptions, RunResult, TaskOptions, TaskResult, TensorArray, WorkerImage };
export type { PipelineInfo, PipelineLoadOptions, StageStats };

export class AcceleratorApi {
  #capabilities: Promise<Capabilities> | undefined;

  /** What this browser can do, measured once per worker. */
  capabilities(): Promise<Capabilities> {
    this.#capabilities ??= detectCapabilities();
    return this.#capabilities;
  }

  version(): string {
    return __REEF_VERSION__;
  }

  // Accelerators ---------------------------------------------------------------------------------
  readonly #devices = new WorkerDevices(workerUsb());

  /** Re-reads the Corals this page may use: call after the page's permission prompt. */
  refreshDevices(): Promise<DeviceInfo[]> {
    return this.#devices.refresh();
  }

  /** The Corals as last seen (ids usb:N, state, clock, models placed, resident parameters, swaps). */
  devices(): DeviceInfo[] {
    return this.#devices.list();
  }

  /**
   * Pushes the device list to `onChange` (a comlink `proxy()`) after every plug, unplug and model
   * placement, and after busy/idle changes at most every 250 ms. Returns an id for `unwatchDevices`.
   */
  watchDevices(onChange: (devices: DeviceInfo[]) => void): number {
    const id = ++this.#watchIds;
    this.#unwatch.set(id, this.#devices.watch(onChange));
    return id;
  }

  unwatchDevices(id: number): void {
    this.#unwatch.get(id)?.();
    this.#unwatch.delete(id);
  }

  #watchIds = 0;
  readonly #unwatch = new Map<number, () => void>();

  // Segment pipelines across Edge TPUs (*_segment_K_of_N_edgetpu.tflite) -------------------------
  readonly #pipelines = new WorkerPipelines(this.#devices.pool);

  /**
   * Loads a model compiled as segments (bytes or stored files), segment k on `devices[k]` (default:
   * one ready TPU per segment; fewer TPUs than segments share). Returns an id for the calls below.
   */
  async loadPipeline(
    segments: { name: string; source: Uint8Array | { sha256: string } }[],
    options: PipelineLoadOptions = {},
  ): Promise<PipelineInfo> {
    const sources = await Promise.all(
      segments.map(async (s) => ({
        name: s.name,
        bytes: s.source instanceof Uint8Array ? s.source : await this.#library.read(s.source.sha256),
      })),
    );
    return this.#pipelines.load(sources, options);
  }

  /** Queues one input set for segment 0; waits while the pipeline is full (backpressure). */
  pushPipeline(id: string, inputs: TensorArray[]): Promise<void> {
    return this.#pipelines.push(id, inputs);
  }

  /** The next output set of the last segment, in push order (transferred). */
  async popPipeline(id: string): Promise<TensorArray[]> {
    const outputs = await this.#pipelines.pop(id);
    return transfer(outputs, [...new Set(outputs.map((o) => o.buffer as ArrayBuffer))]);
  }

  /** Runs and mean time per segment. */
  pipelineStats(id: string): StageStats[] {
    return this.#pipelines.stats(id);
  }

  /** Stops the pipeline (pending pops fail with CANCELLED) and unloads its segments. */
  closePipeline(id: string): Promise<void> {
    return this.#pipelines.close(id);
  }

  // Model library -------------------------------------------------------------------------------
  readonly #library = new ModelLibrary();

  catalog(): Promise<CatalogEntryState[]> {
    return this.#library.catalog();
  }

  /** `onProgress` arrives wrapped in comlink's `proxy()` from the page. */
  downloadCatalogEntry(
    id: string,
    baseUrl: string | undefined,
    onProgress?: (p: DownloadProgress) => void,
  ): Promise<void> {
    return this.#library.download(id, baseUrl, onProgress);
  }

  cancelDownload(id: string): void {
    this.#library.cancelDownload(id);
  }

  deleteCatalogEntry(id: string): Promise<void> {
    return this.#library.deleteEntry(id);
  }

  importFile(name: string, bytes: Uint8Array): Promise<LocalFile> {
    return this.#library.importFile(name, bytes);
  }

  localFiles(): Promise<LocalFile[]> {
    return this.#library.files();
  }

  deleteLocalFile(sha256: string): Promise<boolean> {
    return this.#library.deleteFile(sha256);
  }

  /** A stored label file as a list (index = class id; gaps in paired `id label` files read `class N`). */
  async readLabels(sha256: string): Promise<string[]> {
    const labels = parseLabels(new TextDecoder().decode(await this.#library.read(sha256)));
    const size = Math.max(-1, ...labels.keys()) + 1;
    return Array.from({ length: size }, (_, i) => labels.get(i) ?? `class ${i}`);
  }

  /** What a stored model is (I/O, TPU/CPU segments, parameter cache, labels), for the Models page's inspector. */
  async inspect(sha256: string): Promise<ModelInspection> {
    return inspectModel(await this.#library.read(sha256));
  }

  // Models on the CPU engine (LiteRT.js WASM + Reef kernels) ----------------------------------------
  readonly #engines = new WorkerEngines();

  /** Loads model bytes, or a stored file by its sha256; returns an id for runModel/runTask. */
  async loadModel(source: Uint8Array | { sha256: string }, options: LoadModelOptions = {}): Promise<LoadedModelInfo> {
    const bytes = source instanceof Uint8Array ? source : await this.#library.read(source.sha256);
    return this.#engines.load(bytes, options);
  }

  /** Raw inference: inputs in model order; outputs come back transferred. */
  async runModel(id: string, inputs: TensorArray[]): Promise<RunResult> {
    const result = await this.#engines.run(id, inputs);
    return transfer(
      result,
      result.outputs.map((o) => o.data.buffer as ArrayBuffer),
    );
  }

  /** Image in (ImageBitmap, VideoFrame, ImageData), task result out: classes, objects, mask or poses. */
  runTask(id: string, image: WorkerImage, task: TaskResult['task'], options: TaskOptions = {}): Promise<TaskResult> {
    return this.#engines.runTask(id, image, task, options);
  }

  classifyImage(id: string, image: WorkerImage, options: TaskOptions = {}): Promise<TaskResult> {
    return this.#engines.runTask(id, image, 'classify', options);
  }

  unloadModel(id: string): boolean {
    return this.#engines.unload(id);
  }

  /**
   * Times `iterations` runs of a stored model on one engine, after one warm-up run that is not
   * counted. Inputs are a fixed pattern of the model's own shapes and types; `onProgress` (a comlink
   * `proxy()`) gets the count done so far.
   */
  async benchmarkModel(
    source: { sha256: string },
    options: LoadModelOptions,
    iterations: number,
    onProgress?: (done: number) => void,
  ): Promise<{ engine: string; device: string; samplesMs: number[] }> {
    const info = await this.loadModel(source, options);
    try {
      const inputs = info.inputs.map((t) => {
        const data = allocateTensorArray(t.dtype, elementCount(t.shape));
        if (!(data instanceof BigInt64Array)) for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 127;
        return data;
      });
      const warm = await this.#engines.run(info.id, inputs);
      const samplesMs: number[] = [];
      for (let i = 0; i < iterations; i++) {
        samplesMs.push((await this.#engines.run(info.id, inputs)).ms);
        if (i % 5 === 4 || i === iterations - 1) onProgress?.(i + 1);
      }
      return { engine: warm.engine, device: warm.device, samplesMs };
    } finally {
      this.#engines.unload(info.id);
    }
  }
}
