import type { AcceleratorApi } from '../../worker/accelerator-api.ts';

/** What the Live and Kiosk pages draw: one task result, in source-image coordinates normalised to 0..1. */
export interface Classification {
  label: string;
  /** Index in the model's output. */
  id: number;
  score: number;
}

export interface Detection {
  label: string;
  score: number;
  /** Normalised to the image: left, top, right, bottom in 0..1. */
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
}

export interface Keypoint {
  name: string;
  x: number;
  y: number;
  score: number;
}

export type TaskOutput =
  | { task: 'classify'; classes: Classification[] }
  | { task: 'detect'; detections: Detection[] }
  | { task: 'segment'; width: number; height: number; mask: Uint8Array; labels: string[] }
  | { task: 'pose'; keypoints: Keypoint[] };

/** The worker's task result, as `AcceleratorApi.runTask` returns it (pixel coordinates of the frame). */
export type WorkerTaskResult = Awaited<ReturnType<AcceleratorApi['runTask']>>;

const KEYPOINTS = [
  'nose',
  'left eye',
  'right eye',
  'left ear',
  'right ear',
  'left shoulder',
  'right shoulder',
  'left elbow',
  'right elbow',
  'left wrist',
  'right wrist',
  'left hip',
  'right hip',
  'left knee',
  'right knee',
  'left ankle',
  'right ankle',
];

/** Normalises the worker's pixel coordinates to 0..1 of the frame, so overlays scale with the view. */
export function toInferenceResult(result: WorkerTaskResult, width: number, height: number): InferenceResult {
  const base = { engine: result.engine, device: result.device, ms: result.ms };
  switch (result.task) {
    case 'classify':
      return { ...base, output: { task: 'classify', classes: result.classes } };
    case 'detect':
      return {
        ...base,
        output: {
          task: 'detect',
          detections: result.objects.map((o) => ({
            label: o.label,
            score: o.score,
            box: {
              xmin: o.box.xmin / width,
              ymin: o.box.ymin / height,
              xmax: o.box.xmax / width,
              ymax: o.box.ymax / height,
            },
          })),
        },
      };
    case 'segment':
      return {
        ...base,
        output: {
          task: 'segment',
          width: result.width,
          height: result.height,
          mask: result.mask,
          labels: result.classes.filter((c) => c.id !== 0).map((c) => c.label),
        },
      };
    case 'pose':
      return {
        ...base,
        output: {
          task: 'pose',
          keypoints: (result.poses[0]?.keypoints ?? []).map((k, i) => ({
            name: KEYPOINTS[i] ?? `point ${i}`,
            x: k.x / width,
            y: k.y / height,
            score: k.score,
          })),
        },
      };
  }
}

export interface InferenceResult {
  output: TaskOutput;
  /** The engine and device that produced it, e.g. `edgetpu` on `usb:0`, `litert-wasm` on `cpu`. */
  engine: string;
  device: string;
  /** Inference time reported by the worker. */
  ms: number;
}

/** MoveNet's 17 keypoints joined into a skeleton (COCO order). */
export const POSE_EDGES: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 4],
  [5, 6],
  [5, 7],
  [7, 9],
  [6, 8],
  [8, 10],
  [5, 11],
  [6, 12],
  [11, 12],
  [11, 13],
  [13, 15],
  [12, 14],
  [14, 16],
];

/** Stable colour per class index for boxes and masks. */
export function classColor(index: number): string {
  const hue = (index * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 80% 60%)`;
}
