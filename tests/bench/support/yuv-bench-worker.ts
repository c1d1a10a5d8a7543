/**
 * The yuv-tensor bench's worker, bundled by the bench and run in Chromium like the app's
 * accelerator worker: (1) the tuned conversion against the first version (yuv-reference.ts) on
 * fixed frames, in blocks taken in turn; (2) camera frames transferred in, each timed piece by
 * piece as the worker's task path does it (copy out of the VideoFrame, conversion, close).
 */
import { yuvToTensor, type YuvImage } from '../../../src/lib/tasks/index.ts';
import { FrameBuffers } from '../../../src/worker/frame-buffers.ts';
import { pixelTable } from '../../../src/lib/tasks/pixel-table.ts';
import { writeRgbTensorFromYuv } from '../../../src/lib/tasks/yuv-tensor.ts';
import type { TensorInfo } from '../../../src/lib/runtime/index.ts';
import { referenceRgbFromYuv } from '../../unit/tasks/yuv-reference.ts';

export interface BenchTarget {
  label: string;
  dtype: 'uint8' | 'int8' | 'float32';
  size: number;
  /** Letterbox: the picture fills `size × size·3/4` and the rest is padding. */
  letterbox: boolean;
}

type Convert = typeof writeRgbTensorFromYuv;

function setup(frame: YuvImage, t: BenchTarget) {
  const input = { name: 'input', shape: [1, t.size, t.size, 3], dtype: t.dtype, scale: 0, zeroPoint: 0 } as TensorInfo;
  const table = pixelTable(input, 3, undefined);
  const out = new (table.constructor as Uint8ArrayConstructor)(t.size * t.size * 3);
  const ch = t.letterbox ? Math.round((t.size * frame.height) / frame.width) : t.size;
  const target = { out, width: t.size, height: t.size, contentWidth: t.size, contentHeight: ch };
  return { table, target, region: { x: 0, y: 0, width: frame.width, height: frame.height } };
}

/** ms per call of `convert`, median of `blocks` blocks of `reps` calls. */
function timeBlock(convert: Convert, frame: YuvImage, t: BenchTarget, reps: number): number {
  const { table, target, region } = setup(frame, t);
  const started = performance.now();
  for (let i = 0; i < reps; i++) convert(frame, region, target, table);
  return (performance.now() - started) / reps;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function conversions(frames: YuvImage[], targets: BenchTarget[], blocks: number, reps: number) {
  const rows = [];
  for (const t of targets) {
    const ref: number[] = [];
    const tuned: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const frame = frames[b % frames.length]!;
      ref.push(timeBlock(referenceRgbFromYuv, frame, t, reps));
      tuned.push(timeBlock(writeRgbTensorFromYuv, frame, t, reps));
    }
    rows.push({ label: t.label, reference: median(ref), tuned: median(tuned) });
  }
  return rows;
}

function yuvOf(frame: VideoFrame, data: Uint8Array, planes: PlaneLayout[]): YuvImage {
  const space = frame.colorSpace;
  return {
    width: frame.visibleRect?.width ?? frame.codedWidth,
    height: frame.visibleRect?.height ?? frame.codedHeight,
    format: frame.format as 'I420' | 'NV12',
    data,
    planes: planes.map((p) => ({ offset: p.offset, stride: p.stride })),
    matrix: space.matrix === 'bt709' ? 'bt709' : 'bt601',
    fullRange: space.fullRange ?? false,
  };
}

const pieces: Record<string, number[]> = {};
let reused: Uint8Array | undefined;
const mobilenet: BenchTarget = { label: '224 uint8', dtype: 'uint8', size: 224, letterbox: false };
const mobilenetInput = { name: 'input', shape: [1, 224, 224, 3], dtype: 'uint8', scale: 0, zeroPoint: 0 } as TensorInfo;
const buffers = new FrameBuffers();

function note(name: string, ms: number): void {
  (pieces[name] ??= []).push(ms);
}

/** One camera frame, timed as the task path handles it; the two conversions in turn, first swapped per frame. */
async function cameraFrame(frame: VideoFrame, index: number): Promise<void> {
  const size = frame.allocationSize();
  if (!reused || reused.length !== size) reused = new Uint8Array(size);
  // The two copies in turn, first swapped per frame (the second may find the frame's memory warm).
  let data = reused;
  let planes: PlaneLayout[] = [];
  for (const fresh of index % 2 ? [true, false] : [false, true]) {
    let t = performance.now();
    const into = fresh ? new Uint8Array(size) : reused;
    if (fresh) note('allocate', performance.now() - t);
    t = performance.now();
    planes = await frame.copyTo(into);
    note(fresh ? 'copyTo (new buffer)' : 'copyTo (reused buffer)', performance.now() - t);
    if (fresh) data = into;
  }
  note('format ' + frame.format, 0);
  // The worker's whole preprocess of the frame as runTask does it (engines.ts yuvPlanes + yuvToTensor).
  let t = performance.now();
  const pooled = buffers.take(size);
  const whole = yuvOf(frame, pooled, await frame.copyTo(pooled));
  yuvToTensor(whole, mobilenetInput, { fit: 'stretch' });
  buffers.give(pooled);
  note('task path: copy + yuvToTensor', performance.now() - t);
  const image = yuvOf(frame, data, planes);
  t = performance.now();
  frame.close();
  note('close', performance.now() - t);
  const { table, target, region } = setup(image, mobilenet);
  const order: [string, Convert][] = [
    ['convert: reference', referenceRgbFromYuv],
    ['convert: tuned', writeRgbTensorFromYuv],
  ];
  if (index % 2) order.reverse();
  for (const [name, convert] of order) {
    t = performance.now();
    convert(image, region, target, table);
    note(name, performance.now() - t);
  }
  // The run (MobileNet 224 on WASM takes ~20 ms), the worker's thread busy as in the app: frames
  // read back to back without it made copyTo and close several times slower.
  t = performance.now();
  while (performance.now() - t < 20);
  await new Promise((resolve) => setTimeout(resolve, 1));
}

self.onmessage = async (ev: MessageEvent) => {
  const msg = ev.data as
    | { kind: 'conversions'; frames: YuvImage[]; targets: BenchTarget[]; blocks: number; reps: number }
    | { kind: 'frame'; frame: VideoFrame; index: number }
    | { kind: 'pieces' };
  if (msg.kind === 'conversions') {
    self.postMessage(conversions(msg.frames, msg.targets, msg.blocks, msg.reps));
  } else if (msg.kind === 'frame') {
    await cameraFrame(msg.frame, msg.index);
    self.postMessage('done');
  } else {
    self.postMessage(
      Object.fromEntries(Object.entries(pieces).map(([k, v]) => [k, { median: median(v), n: v.length }])),
    );
  }
};
