/**
 * The worker's CPU engine and the models loaded in it. Models are addressed by a string id; inputs
 * arrive and outputs leave as plain typed arrays (the page transfers them). Images for tasks come
 * as ImageBitmap, VideoFrame or ImageData and are turned into RGBA pixels at their own size here,
 * so the page, the kiosk and the CLI share one resize and one set of results.
 */
import { ReefError } from '../lib/errors.ts';
import {
  WasmEngine,
  workerLiteRtLoader,
  type PartitionedEngine,
  type LoadedModel,
  type RunResult,
  type TensorArray,
  type LiteRtVariantInfo,
  type TensorInfo,
} from '../lib/runtime/index.ts';
import {
  checkTaskModel,
  classCounts,
  classGrid,
  classify,
  decodePoses,
  detect,
  imageToTensor,
  inputLayout,
  maskForImage,
  yuvToTensor,
  type ClassScore,
  type DetectedObject,
  type Labels,
  type Pose,
  type PreparedInput,
  type RgbaImage,
  type SegmentClass,
  type YuvImage,
} from '../lib/tasks/index.ts';
import { readModel } from '../lib/tflite/index.ts';
import { FrameBuffers } from './frame-buffers.ts';
import { liteRtBaseUrl } from './litert-files.ts';

export interface LoadModelOptions {
  /** Only `cpu` for now; the Edge TPU engine plugs in beside it. */
  engine?: 'cpu';
  /** The CPU version of a compiled model, run when no Edge TPU is available. */
  cpuTwin?: Uint8Array;
}

export interface LoadedModelInfo {
  id: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  engine: string;
  device: string;
  /** Labels found in the model (metadata or appended ZIP), index = class id. */
  labels: string[] | null;
  /** The LiteRT build running the CPU parts (`threaded` when cross-origin isolated) and its threads. */
  runtime: LiteRtVariantInfo;
}

export type WorkerImage = ImageBitmap | VideoFrame | ImageData | RgbaImage;

export interface TaskOptions {
  topK?: number;
  threshold?: number;
  /** Overrides the model's own labels. */
  labels?: string[];
}

/** Where a task call's time went in the worker, in ms (the Live page's frame budget shows them). */
export interface TaskStages {
  /** Pixels out of the bitmap or frame, resize and value mapping into the input tensor. */
  preprocessMs: number;
  /** The engine's own run (RunResult.ms). */
  inferenceMs: number;
  /** Outputs to classes, boxes, mask or poses. */
  postprocessMs: number;
}

export interface TaskResultBase {
  engine: string;
  device: string;
  ms: number;
  /** Set by the worker's own task path (a result built elsewhere may not know its parts). */
  stages?: TaskStages;
}
export type ClassifyResult = TaskResultBase & { task: 'classify'; classes: ClassScore[] };
export type DetectResult = TaskResultBase & { task: 'detect'; objects: DetectedObject[] };
export type SegmentResult = TaskResultBase & {
  task: 'segment';
  width: number;
  height: number;
  classes: SegmentClass[];
  /** One class id per image pixel. */
  mask: Uint8Array;
};
export type PoseResult = TaskResultBase & { task: 'pose'; poses: Pose[] };
export type TaskResult = ClassifyResult | DetectResult | SegmentResult | PoseResult;
/** A task result without the engine fields: what decoding the outputs gives. */
type TaskOutput = TaskResult extends infer R
  ? R extends TaskResultBase
    ? Omit<R, keyof TaskResultBase>
    : never
  : never;

/**
 * One canvas for every frame: a fresh canvas per camera frame cost 1 ms more (5.0 vs 6.0 ms for
 * 640×480 → 224² in Chromium 156). `willReadFrequently` keeps it in memory, where getImageData is
 * a copy rather than a GPU readback.
 */
let readback: OffscreenCanvasRenderingContext2D | undefined;

/**
 * Pixels of any image the page can post, at the image's own size (camera frames in I420/NV12 skip
 * this: yuvPlanes below). Resizing happens after this, in TypeScript (tasks' rgb-tensor.ts):
 * measured in Chromium 156 on 2 cores, a 640×480 frame to a 224×224 input takes 3.8 ms this way
 * (drawImage 1.0 + getImageData 1.0 + one-pass resize and value mapping 1.8) against 3.7–4.5 ms
 * for OffscreenCanvas drawImage-resize + getImageData(224²): a tie, so the TypeScript pass stays,
 * as its bytes equal the CLI's for the same pixels (the canvas' own resize differs by up to 46
 * levels, mean 1.8).
 */
export function toRgba(image: WorkerImage): RgbaImage {
  if ('data' in image) return { width: image.width, height: image.height, data: image.data };
  const width = 'displayWidth' in image ? image.displayWidth : image.width;
  const height = 'displayHeight' in image ? image.displayHeight : image.height;
  if (!readback || readback.canvas.width < width || readback.canvas.height < height) {
    const canvas = new OffscreenCanvas(
      Math.max(width, readback?.canvas.width ?? 0),
      Math.max(height, readback?.canvas.height ?? 0),
    );
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new ReefError('UNAVAILABLE', 'no 2D canvas in this worker', { reason: 'no-canvas' });
    readback = context;
  }
  // A transparent image must not show the previous frame through it.
  readback.clearRect(0, 0, width, height);
  readback.drawImage(image, 0, 0);
  return { width, height, data: readback.getImageData(0, 0, width, height).data };
}

/** Where camera frames' planes are copied (frame-buffers.ts: reused, the copy is then 3× faster). */
const frameBuffers = new FrameBuffers();

/**
 * A camera frame's YUV planes, copied without conversion (yuv-tensor.ts says why this is the
 * fastest path) into a buffer of `frameBuffers`, given back once the input is made; for an RGB
 * input; undefined for anything else (bitmaps, RGB frames, grayscale inputs), which go through toRgba.
 */
async function yuvPlanes(image: WorkerImage, input: TensorInfo | undefined): Promise<YuvImage | undefined> {
  if (typeof VideoFrame === 'undefined' || !(image instanceof VideoFrame)) return undefined;
  if ((image.format !== 'I420' && image.format !== 'NV12') || !input || inputLayout(input).channels !== 3)
    return undefined;
  const data = frameBuffers.take(image.allocationSize());
  const planes = await image.copyTo(data);
  const space = image.colorSpace;
  return {
    width: image.visibleRect?.width ?? image.codedWidth,
    height: image.visibleRect?.height ?? image.codedHeight,
    format: image.format,
    data,
    planes: planes.map((p) => ({ offset: p.offset, stride: p.stride })),
    matrix: space.matrix === 'bt709' ? 'bt709' : 'bt601',
    fullRange: space.fullRange ?? false,
  };
}

export class WorkerEngines {
  #engine: PartitionedEngine | undefined;
  readonly #createCpuEngine: () => PartitionedEngine;
  readonly #models = new Map<string, { model: LoadedModel; labels: string[] | null }>();
  #nextId = 0;

  /** `createCpuEngine`: how the CPU engine is made (tests pass one with the Node loader). */
  constructor(
    createCpuEngine: () => PartitionedEngine = () => new WasmEngine(workerLiteRtLoader({ baseUrl: liteRtBaseUrl() })),
  ) {
    this.#createCpuEngine = createCpuEngine;
  }

  #cpu(): PartitionedEngine {
    this.#engine ??= this.#createCpuEngine();
    return this.#engine;
  }

  async load(bytes: Uint8Array, options: LoadModelOptions = {}): Promise<LoadedModelInfo> {
    if ((options.engine ?? 'cpu') !== 'cpu') {
      throw new ReefError('UNIMPLEMENTED', `engine '${options.engine}' is not available here`, {
        reason: 'unknown-engine',
      });
    }
    const model = await this.#cpu().load(bytes, options.cpuTwin ? { cpuTwin: options.cpuTwin } : {});
    return this.adopt(model, bytes);
  }

  /** The worker's CPU engine (the ladder's WASM rung loads through it). */
  cpuEngine(): PartitionedEngine {
    return this.#cpu();
  }

  /**
   * Keeps a model another engine loaded (the ladder's choice) under a new id, with the labels
   * found in `bytes`; runs and tasks then go the same way as for CPU models.
   */
  async adopt(model: LoadedModel, bytes: Uint8Array): Promise<LoadedModelInfo> {
    const labels = readModel(bytes).labels;
    const id = `m${++this.#nextId}`;
    this.#models.set(id, { model, labels });
    return {
      id,
      inputs: [...model.inputs],
      outputs: [...model.outputs],
      engine: model.engine,
      device: model.device,
      labels,
      runtime: await this.#cpu().runtimeInfo(),
    };
  }

  #get(id: string): { model: LoadedModel; labels: string[] | null } {
    const entry = this.#models.get(id);
    if (!entry) throw new ReefError('NOT_FOUND', `no loaded model '${id}'`, { reason: 'unknown-model' });
    return entry;
  }

  async run(id: string, inputs: TensorArray[]): Promise<RunResult> {
    return this.#get(id).model.run(inputs);
  }

  async runTask(
    id: string,
    image: WorkerImage,
    task: TaskResult['task'],
    options: TaskOptions = {},
  ): Promise<TaskResult> {
    const { model, labels: own } = this.#get(id);
    const list = options.labels ?? own;
    const labels: Labels | undefined = list ? new Map(list.map((l, i) => [i, l])) : undefined;
    const started = performance.now();
    const fit = task === 'detect' ? 'letterbox' : 'stretch';
    let rgba: { width: number; height: number };
    let prepared: PreparedInput;
    try {
      checkTaskModel(model);
      const yuv = await yuvPlanes(image, model.inputs[0]);
      rgba = yuv ?? toRgba(image);
      prepared = yuv
        ? yuvToTensor(yuv, model.inputs[0], { fit })
        : imageToTensor(rgba as RgbaImage, model.inputs[0]!, { fit });
      // The planes are in the input now; only the frame's size is read from here on.
      if (yuv) frameBuffers.give(yuv.data);
    } finally {
      // Bitmaps and frames arrive transferred: this worker owns them now, and frames hold decoder memory.
      if ('close' in image) image.close();
    }
    const preprocessMs = performance.now() - started;
    const result = await model.run([prepared.data]);
    const ran = performance.now();
    const base = { engine: result.engine, device: result.device, ms: result.ms };
    const output = this.#decode(task, result, prepared, rgba, labels, options);
    const stages = { preprocessMs, inferenceMs: result.ms, postprocessMs: performance.now() - ran };
    return { ...base, ...output, stages };
  }

  #decode(
    task: TaskResult['task'],
    result: RunResult,
    prepared: PreparedInput,
    rgba: { width: number; height: number },
    labels: Labels | undefined,
    options: TaskOptions,
  ): TaskOutput {
    switch (task) {
      case 'classify':
        return {
          task,
          classes: classify(result.outputs[0]!, {
            topK: options.topK ?? 5,
            threshold: options.threshold ?? 0,
            ...(labels ? { labels } : {}),
          }),
        };
      case 'detect':
        return {
          task,
          objects: detect(result.outputs, {
            threshold: options.threshold ?? 0.4,
            region: prepared.region,
            imageWidth: rgba.width,
            imageHeight: rgba.height,
            ...(labels ? { labels } : {}),
          }),
        };
      case 'segment': {
        const mask = maskForImage(classGrid(result.outputs[0]!), prepared.region, rgba.width, rgba.height);
        return {
          task,
          width: rgba.width,
          height: rgba.height,
          classes: classCounts(mask, labels),
          mask: mask.classes,
        };
      }
      case 'pose':
        return {
          task,
          poses: decodePoses(result.outputs, {
            region: prepared.region,
            inputWidth: prepared.inputWidth,
            inputHeight: prepared.inputHeight,
            ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
          }),
        };
    }
  }

  unload(id: string): boolean {
    const entry = this.#models.get(id);
    entry?.model.dispose();
    return this.#models.delete(id);
  }
}
