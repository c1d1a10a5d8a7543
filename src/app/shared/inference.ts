import { KEYPOINT_NAMES } from '../../lib/tasks/keypoints.ts';
import type { AcceleratorApi } from '../../worker/accelerator-api.ts';

/** What the Live and Kiosk pages draw: one task result, in source-image coordinates normalised to 0..1. */
export interface Classification {
  label: string;
  /** Index in the model's output. */
  id: number;
  score: number;
}

export interface Detection {
  /** Class id in the model's output. */
  id: number;
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
  | {
      task: 'segment';
      width: number;
      height: number;
      mask: Uint8Array;
      /** Classes present, background excluded, largest first, with their share of the picture. */
      classes: { id: number; label: string; share: number }[];
    }
  | { task: 'pose'; keypoints: Keypoint[] };

/** The worker's task result, as `AcceleratorApi.runTask` returns it (pixel coordinates of the frame). */
export type WorkerTaskResult = Awaited<ReturnType<AcceleratorApi['runTask']>>;

/** Normalises the worker's pixel coordinates to 0..1 of the frame, so overlays scale with the view. */
export function toInferenceResult(result: WorkerTaskResult, width: number, height: number): InferenceResult {
  const fallback = 'fallback' in result ? result.fallback : undefined;
  const base = { engine: result.engine, device: result.device, ms: result.ms, ...(fallback ? { fallback } : {}) };
  switch (result.task) {
    case 'classify':
      return { ...base, output: { task: 'classify', classes: result.classes } };
    case 'detect':
      return {
        ...base,
        output: {
          task: 'detect',
          detections: result.objects.map((o) => ({
            id: o.id,
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
          classes: result.classes
            .filter((c) => c.id !== 0)
            .sort((a, b) => b.pixels - a.pixels)
            .map((c) => ({ id: c.id, label: c.label, share: c.pixels / (result.width * result.height) })),
        },
      };
    case 'pose':
      return {
        ...base,
        output: {
          task: 'pose',
          keypoints: (result.poses[0]?.keypoints ?? []).map((k, i) => ({
            name: KEYPOINT_NAMES[i] ?? `point ${i}`,
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
  /** Set when the chosen TPU was not available and WASM ran instead: why, in words. */
  fallback?: string;
}

/** Stable colour per class index for boxes, masks and their legends (golden-angle hues). */
export function classRgb(index: number): [number, number, number] {
  const hue = ((index * 137.508) % 360) / 60;
  const x = 1 - Math.abs((hue % 2) - 1);
  const table: [number, number, number][] = [
    [1, x, 0],
    [x, 1, 0],
    [0, 1, x],
    [0, x, 1],
    [x, 0, 1],
    [1, 0, x],
  ];
  const [r, g, b] = table[Math.floor(hue) % 6] ?? [1, 1, 1];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/**
 * The mask overlay's colours as RGBA words (little-endian: R in the low byte, as canvas pixel data
 * lies in memory), alpha 140, class 0 (background) transparent: one table for all frames instead of
 * a colour worked out per pixel (a 513×513 mask took 30–60 ms to paint that way).
 */
const MASK_PALETTE: Uint32Array = (() => {
  const palette = new Uint32Array(256);
  for (let cls = 1; cls < 256; cls++) {
    const [r, g, b] = classRgb(cls);
    palette[cls] = ((140 << 24) | (b << 16) | (g << 8) | r) >>> 0;
  }
  return palette;
})();

/** Paints `mask` (one class index per pixel) into `pixels` (RGBA bytes of the same size) through the palette. */
export function paintMask(mask: Uint8Array, pixels: Uint8ClampedArray): void {
  const words = new Uint32Array(pixels.buffer, pixels.byteOffset, mask.length);
  for (let i = 0; i < mask.length; i++) words[i] = MASK_PALETTE[mask[i]!]!;
}

export function classColor(index: number): string {
  const [r, g, b] = classRgb(index);
  return `rgb(${r} ${g} ${b})`;
}
