import { writeFile } from 'node:fs/promises';
import { parseOptions } from '../options.ts';
import { ReefError } from '../../lib/errors.ts';
import type { LoadedModel, RunResult, TensorInfo } from '../../lib/runtime/index.ts';
import { readModel } from '../../lib/tflite/index.ts';
import {
  alignLabels,
  checkTaskModel,
  classCounts,
  classGrid,
  classify,
  decodePoses,
  detect,
  encodeBmp,
  encodeIndexedBmp,
  imageToTensor,
  maskForImage,
  overlayMask,
  parseLabels,
  pascalPalette,
  type Fit,
  type Labels,
  type RgbaImage,
} from '../../lib/tasks/index.ts';
import type { Command } from '../command.ts';
import { decodeImageFile } from '../image-file.ts';
import { createEngineForDevice } from '../run/engine-for-device.ts';
import { runInLanes } from '../run/image-lanes.ts';
import type { LadderEngineOptions } from '../run/ladder-engine.ts';
import { readSegmentFiles, segmentArgs } from '../run/segment-files.ts';
import { loadSegments } from '../run/segmented-engine.ts';
import { orderSegments, type SegmentFile } from '../../lib/edgetpu/index.ts';
import { readInputFile, readInputText } from '../input-files.ts';
import { cpuTwinFile } from '../run/cpu-twin-file.ts';
import { listImages } from '../run/image-list.ts';
import { checkLabelsFit, labelsMismatch, outputClasses } from '../run/labels-fit.ts';
import { summaryLine } from '../run/summary-line.ts';
import { chooseWasmTiers } from '../run/wasm-tiering.ts';

const TASKS = ['classify', 'detect', 'segment', 'pose'] as const;
/** Enough to time a model; a typo like 1e9 is refused rather than running for days. */
const MAX_REPEAT = 100_000;
type Task = (typeof TASKS)[number];

const USAGE = `Usage: reef run <model.tflite> <image|directory>... [options]
       reef run <x_segment_0_of_N_edgetpu.tflite> [<x_segment_K_of_N_edgetpu.tflite>...] <image|directory>... --device usb[:N]

Runs a model on images (BMP, PNG or JPEG; a directory stands for the images in it) and prints
the results. The model is loaded once. With one image the result takes several lines; with more,
one line (or one JSON object with --json) per image, printed as each image is done. An image that
cannot be read stops the run with an error naming it.

A model compiled in segments (*_segment_K_of_N_edgetpu.tflite) is given by all its files or by one
of them (the others are found beside it by name) and is checked as one set before it runs. It
needs Edge TPUs: --device usb:N runs every segment on that TPU in turn; usb (or auto) puts segment
k on the k-th ready TPU, and with several images one image per TPU is in flight (pipelined).
cpu, wasm and webgpu refuse it: there is no CPU twin of segments.

Options:
  --task classify|detect|segment|pose   what the model does (default: guessed from its outputs)
  --labels <file>      label file (default: labels packed in the model, if any)
  --top-k <n>          classify: how many classes (default 5)
  --threshold <x>      minimum score (default: classify 0, detect 0.4)
  --device <spec>      where to run: cpu (default; also wasm), usb or usb:N (a Coral; flashed if
                       needed), webgpu (only where Node has navigator.gpu), or auto (the engine
                       ladder: a Coral for a compiled model, else the fastest engine agreeing with
                       the CPU, measured once and kept in ~/.cache/reef; stderr says which and why)
  --trace <file>       with a Coral: record every USB transfer as JSON lines
  --cpu-twin <file>    the CPU version of a compiled model, used when no Edge TPU is available
                       (default: x.tflite beside x_edgetpu.tflite); its inputs and outputs must
                       match the compiled model's
  --strict             a --labels file that does not fit the model's classes is an error, not a
                       warning
  --overlay <out.bmp>  segment: write the image with the class mask drawn over it
  --mask <out.bmp>     segment: write the class mask (8-bit palette BMP, index = class id)
  --repeat <n>         run each image n times; the reported ms is the median (default 1)
  --json               print the result as JSON
`;

/** The task a model's outputs suggest. */
export function guessTask(outputs: readonly TensorInfo[]): Task {
  if (outputs.length >= 4 && outputs.some((o) => o.shape.at(-1) === 4)) return 'detect';
  const first = outputs[0];
  if (first && first.shape.at(-2) === 17 && (first.shape.at(-1) === 3 || first.shape.at(-1) === 2)) return 'pose';
  if (first && first.shape.length >= 3 && (first.shape[1] ?? 0) > 1 && (first.shape[2] ?? 0) > 1) return 'segment';
  return 'classify';
}

export interface RunOutput {
  json: Record<string, unknown>;
  text: string[];
}

function labelsFrom(list: string[] | null): Labels | undefined {
  return list ? new Map(list.map((l, i) => [i, l])) : undefined;
}

export async function runTask(
  model: LoadedModel,
  image: RgbaImage,
  task: Task,
  options: { labels?: Labels; topK: number; threshold?: number },
): Promise<{
  result: RunResult;
  json: Record<string, unknown>;
  text: string[];
  mask?: ReturnType<typeof maskForImage>;
}> {
  checkTaskModel(model);
  const input = model.inputs[0]!;
  const fit: Fit = task === 'detect' ? 'letterbox' : 'stretch';
  const prepared = imageToTensor(image, input, { fit });
  const result = await model.run([prepared.data]);
  const ms = Math.round(result.ms * 100) / 100;
  const who = { engine: result.engine, device: result.device };
  switch (task) {
    case 'classify': {
      const output = result.outputs[0]!;
      const classes = classify(output, {
        topK: options.topK,
        threshold: options.threshold ?? 0,
        ...(options.labels ? { labels: options.labels } : {}),
      });
      return {
        result,
        json: { task, classes, ms, ...who },
        text: classes.map((c) => `${c.score.toFixed(5)}  ${c.label} (${c.id})`),
      };
    }
    case 'detect': {
      const objects = detect(result.outputs, {
        threshold: options.threshold ?? 0.4,
        region: prepared.region,
        imageWidth: image.width,
        imageHeight: image.height,
        ...(options.labels ? { labels: options.labels } : {}),
      });
      const round = (v: number): number => Math.round(v * 10) / 10;
      const rounded = objects.map((o) => ({
        ...o,
        box: { xmin: round(o.box.xmin), ymin: round(o.box.ymin), xmax: round(o.box.xmax), ymax: round(o.box.ymax) },
      }));
      return {
        result,
        json: { task, objects: rounded, ms, ...who },
        text: rounded.map(
          (o) =>
            `${o.score.toFixed(3)}  ${o.label} (${o.id})  [${o.box.xmin}, ${o.box.ymin}, ${o.box.xmax}, ${o.box.ymax}]`,
        ),
      };
    }
    case 'segment': {
      const grid = classGrid(result.outputs[0]!);
      const mask = maskForImage(grid, prepared.region, image.width, image.height);
      const classes = classCounts(mask, options.labels);
      return {
        result,
        mask,
        json: { task, width: image.width, height: image.height, classes, ms, ...who },
        text: classes.map((c) => `${String(c.pixels).padStart(8)} px  ${c.label} (${c.id})`),
      };
    }
    case 'pose': {
      const poses = decodePoses(result.outputs, {
        region: prepared.region,
        inputWidth: prepared.inputWidth,
        inputHeight: prepared.inputHeight,
        ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
      });
      const round = (v: number): number => Math.round(v * 10) / 10;
      const out = poses.map((p) => ({
        score: Math.round(p.score * 1000) / 1000,
        keypoints: p.keypoints.map((k) => ({ x: round(k.x), y: round(k.y), score: Math.round(k.score * 1000) / 1000 })),
      }));
      return {
        result,
        json: { task, poses: out, ms, ...who },
        text: out.flatMap((p, i) => [
          `pose ${i} score ${p.score}`,
          ...p.keypoints.map((k, j) => `  ${j}: (${k.x}, ${k.y}) ${k.score}`),
        ]),
      };
    }
  }
}

/**
 * One image, `repeat` inferences on the loaded model: the result of the last one, with `ms` the
 * median time and, when repeated, the spread; `text` is the result on one line.
 */
export async function runRepeated(
  model: LoadedModel,
  image: RgbaImage,
  task: Task,
  options: { labels?: Labels; topK: number; threshold?: number },
  repeat: number,
): Promise<{ json: Record<string, unknown>; text: string }> {
  const times: number[] = [];
  let out: Awaited<ReturnType<typeof runTask>> | undefined;
  for (let i = 0; i < repeat; i++) {
    out = await runTask(model, image, task, options);
    times.push(out.result.ms);
  }
  const sorted = times.sort((a, b) => a - b);
  const round = (v: number): number => Math.round(v * 100) / 100;
  const ms = round(sorted[Math.floor((sorted.length - 1) / 2)]!);
  const spread = repeat > 1 ? { runs: repeat, msMin: round(sorted[0]!), msMax: round(sorted.at(-1)!) } : {};
  const json = { ...out!.json, ms, ...spread };
  return { json, text: summaryLine(json) };
}

export const command: Command = {
  name: 'run',
  summary:
    'run a model, or a *_segment_K_of_N set, on images: classify, detect, segment or pose (--device cpu|auto|usb:N|webgpu)',
  usage: USAGE,
  async run(args, io, deps) {
    const { values, positionals } = parseOptions({
      args,
      allowPositionals: true,
      options: {
        task: { type: 'string' },
        labels: { type: 'string' },
        'top-k': { type: 'string', default: '5' },
        threshold: { type: 'string' },
        device: { type: 'string', default: 'cpu' },
        'cpu-twin': { type: 'string' },
        trace: { type: 'string' },
        overlay: { type: 'string' },
        mask: { type: 'string' },
        json: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        repeat: { type: 'string', default: '1' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const segmentSet = await segmentArgs(positionals);
    const modelFile = positionals[0];
    const imageArgs = segmentSet ? segmentSet.images : positionals.slice(1);
    if (!modelFile || imageArgs.length === 0) {
      io.err(USAGE);
      return 2;
    }
    if (values.task !== undefined && !(TASKS as readonly string[]).includes(values.task)) {
      throw new ReefError('INVALID_ARGUMENT', `--task must be one of ${TASKS.join(', ')}`, { reason: 'bad-task' });
    }
    const topK = Number(values['top-k']);
    if (!Number.isInteger(topK) || topK < 1) {
      throw new ReefError('INVALID_ARGUMENT', '--top-k must be a positive integer', { reason: 'bad-top-k' });
    }
    const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
    if (threshold !== undefined && !Number.isFinite(threshold)) {
      throw new ReefError('INVALID_ARGUMENT', '--threshold must be a number', { reason: 'bad-threshold' });
    }
    const repeat = Number(values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) {
      throw new ReefError('INVALID_ARGUMENT', `--repeat must be an integer from 1 to ${MAX_REPEAT}`, {
        reason: 'bad-repeat',
      });
    }
    if (segmentSet && values['cpu-twin']) {
      throw new ReefError('INVALID_ARGUMENT', '--cpu-twin: a model compiled in segments has no CPU twin', {
        reason: 'bad-option',
      });
    }
    const segmentFiles = segmentSet ? await readSegmentFiles(segmentSet.files) : undefined;
    // A segment set's labels and class outputs are its last segment's.
    const bytes = segmentFiles ? lastSegment(segmentFiles).bytes : await readInputFile(modelFile);
    const { files: imageFiles, fromDirectory } = await listImages(imageArgs);
    const single = imageFiles.length === 1 && repeat === 1 && !fromDirectory;
    if (!single && (values.mask || values.overlay)) {
      throw new ReefError('INVALID_ARGUMENT', '--mask and --overlay write one file: give them a single image', {
        reason: 'one-image-only',
      });
    }
    // The first image is decoded before the model loads, so a bad image fails fast.
    const first = decodeImageFile(await readInputFile(imageFiles[0]!), imageFiles[0]!);
    chooseWasmTiers(imageFiles.length * repeat, bytes.byteLength);
    const labels = values.labels
      ? parseLabels(await readInputText(values.labels))
      : labelsFrom(readModel(bytes).labels);
    // Checked before any engine starts, so a wrong twin fails fast.
    const twin = segmentFiles ? undefined : await cpuTwinFile(modelFile, bytes, values['cpu-twin']);
    if (twin?.found && !values.json) io.err(`CPU twin: ${twin.path} (beside the model, same inputs and outputs)`);
    const usbOptions = {
      log: io.err,
      ...(deps ? { openUsb: deps.usb } : {}),
      ...(values.trace ? { trace: values.trace } : {}),
    };
    const opened = segmentFiles
      ? await loadSegments(segmentFiles, values.device, usbOptions)
      : await loadModel(values.device, bytes, twin?.bytes, usbOptions);
    try {
      const { model } = opened;
      const task = (values.task as Task | undefined) ?? guessTask(model.outputs);
      const classes = outputClasses(task, model.outputs);
      const fitted = labels && task === 'classify' && classes ? alignLabels(labels, classes) : labels;
      if (fitted && values.labels) {
        checkLabelsFit(labelsMismatch(values.labels, fitted, task, model.outputs), values.strict, io.err);
      }
      const taskOptions = {
        topK,
        ...(fitted ? { labels: fitted } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
      };
      if (!single) {
        // A segment set spread over several TPUs takes one image per TPU at once (pipelined).
        await runInLanes(
          imageFiles.length,
          opened.lanes,
          async (i) => {
            const file = imageFiles[i]!;
            const image = i === 0 ? first : decodeImageFile(await readInputFile(file), file);
            return { file, line: await runRepeated(model, image, task, taskOptions, repeat) };
          },
          ({ file, line }) =>
            io.out(values.json ? JSON.stringify({ image: file, ...line.json }) : `${file}  ${line.text}`),
        );
        return 0;
      }
      const image = first;
      const out = await runTask(model, image, task, taskOptions);
      if (out.mask && values.mask) {
        await writeFile(
          values.mask,
          encodeIndexedBmp(out.mask.width, out.mask.height, out.mask.classes, pascalPalette()),
        );
      }
      if (out.mask && values.overlay) await writeFile(values.overlay, encodeBmp(overlayMask(image, out.mask)));
      if (values.json) io.out(JSON.stringify(out.json));
      else {
        io.out(`${task} on ${out.result.engine} (${out.result.device}), ${out.result.ms.toFixed(1)} ms`);
        for (const line of out.text) io.out(line);
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};

/** A single-file model on the engine `spec` names, with its CPU twin when it has one. */
async function loadModel(
  spec: string,
  bytes: Uint8Array,
  cpuTwin: Uint8Array | undefined,
  options: LadderEngineOptions,
): Promise<{ model: LoadedModel; lanes: number; close(): Promise<void> }> {
  const engine = await createEngineForDevice(spec, options);
  try {
    const model = await engine.load(bytes, cpuTwin ? { cpuTwin } : {});
    return {
      model,
      lanes: 1,
      async close() {
        model.dispose();
        engine.dispose();
      },
    };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

function lastSegment(files: readonly SegmentFile[]): SegmentFile {
  return orderSegments(files).at(-1)!;
}
