/**
 * The accelerator worker's API. Its type is the contract with the page (src/app/shared/accelerator.ts):
 * arguments and results are plain cloneable data, never class instances or USBDevices.
 */
import { detectCapabilities, type Capabilities } from './capabilities.ts';
import { WorkerDevices, type DeviceInfo } from './devices.ts';
import { ModelLibrary, type CatalogEntryState, type DownloadProgress, type LocalFile } from './model-library.ts';
import { workerUsb } from './usb-source.ts';
import {
  flashDevice,
  type FirmwareOptions,
  type FirmwareOutcome,
  type FirmwareProgress,
  type FirmwareSource,
} from './firmware.ts';
import {
  TpuEngines,
  type EngineChoice,
  type TpuLoadOptions,
  type TpuModelInfo,
  type TpuRunResult,
  type TpuTaskResult,
  type SegmentPlacement,
} from './tpu-engines.ts';
import {
  EmbeddingJobs,
  type EmbedDatasetRequest,
  type EmbedDatasetResult,
  type EmbedProgress,
} from './embedding-jobs.ts';
import { ImprintPreviewJobs, type PreviewOpenRequest, type PreviewPrediction } from './imprint-preview-jobs.ts';
import { runDoctor, type DoctorOptions, type DoctorOutcome, type DoctorReport, type StepResult } from './doctor.ts';
import { CacheStorageFileCache } from '../lib/zoo/index.ts';
import { IdbChoiceCache, LiteRtRuntime, webGpuFactory, webNnFactory, type LadderEntry } from '../lib/runtime/index.ts';
import { createTraceSwitch } from '../lib/edgetpu/index.ts';
import { inspectModel, type ModelInspection } from '../lib/edgetpu/executable/index.ts';
import { transfer } from 'comlink';
import { FrameSlots, type FrameOutcome, type FrameTimes } from './frame-slot.ts';
import { FrameStream, type StreamAnswer, type StreamEnded, type StreamTarget } from './frame-stream.ts';
import { ReefError, serializeError, type SerializedError } from '../lib/errors.ts';
import { labelList } from '../lib/tasks/index.ts';
import type { RunResult, TensorArray } from '../lib/runtime/index.ts';
import { patternInputs, timeRuns } from './benchmark-runs.ts';
import { jspi, liteRtLoader } from './litert-files.ts';
import {
  WorkerEngines,
  type LoadedModelInfo,
  type LoadModelOptions,
  type TaskOptions,
  type TaskResult,
  type TaskStages,
  type WorkerImage,
} from './engines.ts';

export type { Capabilities, CatalogEntryState, DeviceInfo, DownloadProgress, LocalFile, ModelInspection };
export type { LoadedModelInfo, LoadModelOptions, RunResult, TaskOptions, TaskResult, TensorArray, WorkerImage };
export type { FrameOutcome, FrameTimes, TaskStages };
/** A camera frame read in the worker, answered (a failure comes serialized: lib/errors' deserializeError). */
export type FrameStreamAnswer =
  | Exclude<StreamAnswer<TaskResult | TpuTaskResult>, { kind: 'failed' }>
  | (Omit<Extract<StreamAnswer<unknown>, { kind: 'failed' }>, 'error'> & { error: SerializedError })
  | StreamEnded;
export type FrameStreamTarget = StreamTarget<TaskResult['task'], TaskOptions>;
export type { FirmwareOptions, FirmwareOutcome, FirmwareProgress, FirmwareSource };
export type { TpuLoadOptions, TpuModelInfo, TpuRunResult, TpuTaskResult, LadderEntry, SegmentPlacement };
export type { EngineDecision } from './tpu-engines.ts';
export type { DoctorOptions, DoctorOutcome, DoctorReport, StepResult };
export type { EmbedDatasetRequest, EmbedDatasetResult, EmbedProgress };
export type { PreviewOpenRequest, PreviewPrediction };

/** A model compiled in segments, as stored files (`*_segment_K_of_N_edgetpu.tflite`, any order). */
export type SegmentSetSource = { segments: { name: string; sha256: string }[] };

/** Model load options of the page: the CPU twin may be a stored file. */
export type ModelLoadOptions = Omit<TpuLoadOptions, 'cpuTwin'> & { cpuTwin?: Uint8Array | { sha256: string } };

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
  readonly #usb = workerUsb();
  /** Every USB transfer of every TPU (and of a firmware flash) can be recorded for a bug report. */
  readonly #trace = createTraceSwitch();
  readonly #devices = new WorkerDevices(this.#usb, { driver: { trace: this.#trace.recorder } });

  /** Starts or stops recording USB transfers (direction, type, setup or endpoint, length, data). */
  setUsbTrace(enabled: boolean): void {
    if (enabled) this.#trace.enable();
    else this.#trace.disable();
  }

  /** The transfers recorded so far as JSON lines (for a bug report download); clears them. */
  takeUsbTrace(): string {
    return this.#trace.take();
  }

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

  /**
   * Puts the firmware on a Coral in its DFU personality (`deviceId` from the list, state
   * `needs-firmware`): `download` fetches the pinned image (cached for next time), `{ bytes }` uses a
   * file the person chose. `onProgress` (a comlink `proxy()`) sees fetch → download → verify →
   * reset → reconnect. Resolves `ready` with the TPU's new id, or `needs-permission` when the
   * re-enumerated device is not visible to this page: the page then calls `requestDevice` with the
   * given filters (from a click, showing `message`) and `refreshDevices()`.
   */
  async flashFirmware(
    deviceId: string,
    source: FirmwareSource,
    onProgress?: (progress: FirmwareProgress) => void,
    options: Omit<FirmwareOptions, 'trace'> = {},
  ): Promise<FirmwareOutcome> {
    const pool = this.#devices.pool;
    if (!pool || !this.#usb) {
      throw new ReefError('UNAVAILABLE', 'this browser has no WebUSB in workers', { reason: 'no-webusb' });
    }
    return flashDevice(pool, this.#usb, this.#firmwareCache, deviceId, source, onProgress, {
      ...options,
      trace: this.#trace.recorder,
    });
  }

  /**
   * "Check my Coral" on `deviceId`: identity, USB speed, clock and known-answer tests, each step
   * pushed to `onStep` (a comlink `proxy()`) as it ends. Resolves the report and its ZIP
   * (transferred) with the USB trace of the run inside.
   */
  async checkDevice(
    deviceId: string,
    options: DoctorOptions = {},
    onStep?: (step: StepResult) => void,
  ): Promise<DoctorOutcome> {
    const pool = this.#devices.pool;
    if (!pool) throw new ReefError('UNAVAILABLE', 'this browser has no WebUSB in workers', { reason: 'no-webusb' });
    const outcome = await runDoctor(pool, this.#trace, this.#library, deviceId, options, onStep);
    return transfer(outcome, [outcome.zip.buffer as ArrayBuffer]);
  }

  /** The firmware image lives apart from the model library, so it never shows up as a model file. */
  readonly #firmwareCache = new CacheStorageFileCache('reef-firmware-v1');

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

  /** A catalog file chosen from disk (offline): stored only when it matches one of the entry's pins. */
  useFileForCatalogEntry(id: string, name: string, bytes: Uint8Array): Promise<{ name: string }> {
    return this.#library.useFileForEntry(id, name, bytes).then((f) => ({ name: f.name }));
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

  /** A stored file's bytes (transferred), e.g. the extractor the training worker builds on. */
  async readStoredFile(sha256: string): Promise<Uint8Array> {
    const bytes = await this.#library.read(sha256);
    return transfer(bytes, [bytes.buffer as ArrayBuffer]);
  }

  /** A stored label file as a list (index = class id; gaps in paired `id label` files read `class N`). */
  async readLabels(sha256: string): Promise<string[]> {
    return labelList(new TextDecoder().decode(await this.#library.read(sha256)));
  }

  /** What a stored model is (I/O, TPU/CPU segments, parameter cache, labels), for the Models page's inspector. */
  async inspect(sha256: string): Promise<ModelInspection> {
    return inspectModel(await this.#library.read(sha256));
  }

  // Models on the engine ladder (Edge TPU, WebGPU, WebNN, WASM: src/lib/runtime/ladder) -----------
  readonly #engines = new WorkerEngines();
  readonly #tpuEngines = new TpuEngines(
    this.#devices.pool,
    this.#engines,
    // Same LiteRT.js files as the CPU engine: our own origin under /litert/ (see engines.ts).
    () => new LiteRtRuntime(liteRtLoader()),
    {
      // The GPU rung prefers LiteRT's JSPI build: its delegates may suspend on GPU work (the
      // threaded build throws "Asyncify is not defined" there).
      engines: [webGpuFactory(liteRtLoader(jspi())), webNnFactory(liteRtLoader(jspi()))],
      cache: new IdbChoiceCache(),
    },
  );

  /** Every engine of the ladder, available or with the reason it is not (Benchmark and System pages). */
  engineLadder(): Promise<LadderEntry[]> {
    return this.#tpuEngines.engines();
  }

  /**
   * Loads model bytes, or a stored file by its sha256; returns an id for runModel/runTask.
   * `engine`: `cpu` (default, the CPU engine), `auto` (a ready Edge TPU when the model is compiled
   * for it, else the fastest engine agreeing with WASM — measured once, then cached — and
   * `fallback` says why it is not the TPU), `wasm`, `webgpu`, `webnn`, `usb` or `usb:N`. The answer
   * carries the ladder's decision (figures, skipped engines and why).
   */
  async loadModel(
    source: Uint8Array | { sha256: string } | SegmentSetSource,
    options: LoadModelOptions | ModelLoadOptions = {},
  ): Promise<TpuModelInfo> {
    if (!(source instanceof Uint8Array) && 'segments' in source) {
      // Compiled in segments: one model over the TPUs, refused elsewhere (tpu-engines.ts loadSegments).
      const files = await Promise.all(
        source.segments.map(async (s) => ({ name: s.name, bytes: await this.#library.read(s.sha256) })),
      );
      return this.#tpuEngines.loadSegments(files, { engine: options.engine ?? 'cpu' });
    }
    const bytes = source instanceof Uint8Array ? source : await this.#library.read(source.sha256);
    const twin = options.cpuTwin;
    const cpuTwin = twin === undefined || twin instanceof Uint8Array ? twin : await this.#library.read(twin.sha256);
    const name =
      source instanceof Uint8Array
        ? undefined
        : (await this.#library.files()).find((f) => f.sha256 === source.sha256)?.name;
    return this.#tpuEngines.load(bytes, {
      engine: options.engine ?? 'cpu',
      ...(cpuTwin ? { cpuTwin } : {}),
      ...(name ? { name } : {}),
      ...('wait' in options && options.wait ? { wait: true } : {}),
    });
  }

  /**
   * The model's engine choice once `auto`'s calibration is done (see TpuEngines.settled): a load
   * answered `calibrating` runs on WASM until then, and the page shows the final choice when it comes.
   */
  modelSettled(id: string): Promise<EngineChoice | undefined> {
    return this.#tpuEngines.settled(id);
  }

  /**
   * Moves a model whose TPU failed (runs rejected with UNAVAILABLE) to the WASM engine, same id.
   * Its results then carry `fallback` naming the TPU it left: never a silent fallback.
   */
  fallBackToWasm(id: string, why?: string): Promise<TpuModelInfo> {
    return this.#tpuEngines.fallBackToWasm(id, why);
  }

  // Embeddings for training: the compiled extractor on the TPU (WASM twin without one) -------------
  readonly #embeddingJobs = new EmbeddingJobs(this.#tpuEngines);

  /**
   * Embeds a stored dataset (sample order) with the compiled extractor on `engine` (`usb`, `usb:N`
   * or `wasm`); a TPU lost mid-run means every sample is embedded on WASM, with `notice` saying so.
   */
  async embedDataset(
    request: EmbedDatasetRequest,
    onProgress?: (progress: EmbedProgress) => void,
  ): Promise<EmbedDatasetResult> {
    const result = await this.#embeddingJobs.embedDataset(request, onProgress);
    return transfer(result, [result.embeddings.buffer as ArrayBuffer]);
  }

  cancelEmbedding(): void {
    this.#embeddingJobs.cancel();
  }

  // The Train page's imprinting preview: samples embedded as recorded, frames scored live ----------
  readonly #preview = new ImprintPreviewJobs(this.#tpuEngines);

  previewOpen(request: PreviewOpenRequest): Promise<{ on: string }> {
    return this.#preview.open(request);
  }

  previewAdd(label: number, image: WorkerImage): Promise<{ on: string; samples: number }> {
    return this.#preview.add(label, image);
  }

  previewPredict(image: WorkerImage): Promise<PreviewPrediction | null> {
    return this.#preview.predict(image);
  }

  previewClose(): void {
    this.#preview.close();
  }

  /** Raw inference: inputs in model order; outputs come back transferred. */
  async runModel(id: string, inputs: TensorArray[]): Promise<RunResult | TpuRunResult> {
    const result = await this.#tpuEngines.run(id, inputs);
    return transfer(
      result,
      result.outputs.map((o) => o.data.buffer as ArrayBuffer),
    );
  }

  /** Image in (ImageBitmap, VideoFrame, ImageData), task result out: classes, objects, mask or poses. */
  runTask(
    id: string,
    image: WorkerImage,
    task: TaskResult['task'],
    options: TaskOptions = {},
  ): Promise<TaskResult | TpuTaskResult> {
    return this.#tpuEngines.runTask(id, image, task, options);
  }

  readonly #frames = new FrameSlots(
    (id: string, image: WorkerImage, args: { task: TaskResult['task']; options: TaskOptions }) =>
      this.#tpuEngines.runTask(id, image, args.task, args.options),
    // A segment pipeline overlaps frames: one in flight per TPU it spans.
    (id) => this.#tpuEngines.lanes(id),
  );

  /**
   * A camera frame (a transferred VideoFrame or ImageBitmap) for the Live and Kiosk pages: post
   * every frame as it comes. At most one runs and one waits per model; a newer frame replaces the
   * waiting one, which is answered `dropped` (frame-slot.ts). A result carries when the frame
   * arrived, started and finished (absolute ms), and a mask comes back transferred.
   */
  async runFrame(
    id: string,
    frame: WorkerImage,
    task: TaskResult['task'],
    options: TaskOptions = {},
  ): Promise<FrameOutcome<TaskResult | TpuTaskResult>> {
    const close = (): void => {
      if ('close' in frame) frame.close();
    };
    return maskTransferred(await this.#frames.submit(id, frame, { task, options }, close));
  }

  readonly #streams = new Map<number, FrameStream<TaskResult | TpuTaskResult, TaskResult['task'], TaskOptions>>();
  #streamIds = 0;

  /**
   * Reads camera frames here, from the page's MediaStreamTrackProcessor stream (transferred), into
   * the frame slots (frame-stream.ts). Nothing runs before `setFrameStreamTarget`; answers come in
   * frame order from `nextStreamFrame`. Returns the stream's id.
   */
  openFrameStream(readable: ReadableStream<VideoFrame>): number {
    const id = ++this.#streamIds;
    const stream = new FrameStream<TaskResult | TpuTaskResult, TaskResult['task'], TaskOptions>(
      readable,
      (target, frame, close) =>
        this.#frames.submit(target.id, frame, { task: target.task, options: target.options }, close),
    );
    this.#streams.set(id, stream);
    return id;
  }

  /** The model, task and options the stream's frames run on from now on. */
  setFrameStreamTarget(stream: number, target: FrameStreamTarget): void {
    this.#streams.get(stream)?.setTarget(target);
  }

  /** The stream's next answer in frame order (a mask comes back transferred), or `ended`. */
  async nextStreamFrame(stream: number): Promise<FrameStreamAnswer> {
    const source = this.#streams.get(stream);
    if (!source) return { kind: 'ended' };
    const answer = await source.next();
    if (answer.kind === 'ended') {
      this.#streams.delete(stream);
      return answer;
    }
    if (answer.kind === 'failed') return { ...answer, error: serializeError(answer.error) };
    return maskTransferred(answer);
  }

  closeFrameStream(stream: number): void {
    this.#streams.get(stream)?.close();
    this.#streams.delete(stream);
  }

  unloadModel(id: string): boolean {
    this.#frames.forget(id);
    return this.#tpuEngines.unload(id);
  }

  /**
   * Times `iterations` runs of a stored model on one engine, after one warm-up run that is not
   * counted. Inputs are a fixed pattern of the model's own shapes and types; `onProgress` (a comlink
   * `proxy()`) gets the count done so far.
   */
  async benchmarkModel(
    source: { sha256: string } | SegmentSetSource,
    options: LoadModelOptions | ModelLoadOptions,
    iterations: number,
    onProgress?: (done: number) => void,
  ): Promise<{
    engine: string;
    device: string;
    samplesMs: number[];
    decision: TpuModelInfo['decision'];
    segments?: SegmentPlacement[];
  }> {
    // Timed runs must all be on one engine: no calibration may finish in the background under them.
    const info = await this.loadModel(source, { ...options, wait: true });
    try {
      const inputs = patternInputs(info.inputs);
      const timed = await timeRuns(() => this.#tpuEngines.run(info.id, inputs), iterations, onProgress);
      const segments = info.segments ? { segments: info.segments } : {};
      return { ...timed, decision: info.decision, ...segments };
    } finally {
      this.unloadModel(info.id);
    }
  }
}

/** A frame's answer to post: a segmentation mask goes transferred, not copied. */
function maskTransferred<A extends { kind: string; result?: TaskResult | TpuTaskResult }>(answer: A): A {
  if (answer.kind === 'done' && answer.result?.task === 'segment')
    return transfer(answer, [answer.result.mask.buffer as ArrayBuffer]);
  return answer;
}
