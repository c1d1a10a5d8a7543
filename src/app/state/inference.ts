/** What the Live and Kiosk pages draw: one task result, in source-image coordinates normalised to 0..1. */
export interface Classification {
  label: string;
  index: number;
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
