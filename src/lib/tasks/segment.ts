/**
 * Segmentation: a class map ([1,H,W] of class ids, e.g. DeepLab's ARG_MAX, or [1,H,W,C] scores)
 * → a class mask at image size, per-class pixel counts and a colored overlay.
 */
import { ReefError } from '../errors.ts';
import type { Tensor } from '../runtime/index.ts';
import type { RgbaImage } from './image.ts';
import type { Labels } from './labels.ts';
import type { Rect } from './resize.ts';

export interface ClassMask {
  width: number;
  height: number;
  /** One class id per pixel. */
  classes: Uint8Array;
}

export interface SegmentClass {
  id: number;
  label: string;
  pixels: number;
}

/** Class ids of the model's output grid (argmax over channels when the output holds scores). */
export function classGrid(output: Tensor): ClassMask {
  const s = output.shape;
  const dims = s[0] === 1 ? s.slice(1) : s;
  if (dims.length === 2) {
    const [height, width] = dims as [number, number];
    const classes = new Uint8Array(width * height);
    const d = output.data;
    if (d instanceof BigInt64Array) {
      // Class ids are small: read the low 32-bit word of each little-endian int64 instead of a BigInt.
      const words = new Int32Array(d.buffer, d.byteOffset, d.length * 2);
      for (let i = 0; i < classes.length; i++) classes[i] = words[i * 2]!;
    } else {
      for (let i = 0; i < classes.length; i++) classes[i] = d[i]!;
    }
    return { width, height, classes };
  }
  if (dims.length === 3) {
    const [height, width, channels] = dims as [number, number, number];
    const classes = new Uint8Array(width * height);
    const d = output.data;
    for (let i = 0; i < classes.length; i++) {
      let best = 0;
      for (let c = 1; c < channels; c++) if (Number(d[i * channels + c]) > Number(d[i * channels + best])) best = c;
      classes[i] = best;
    }
    return { width, height, classes };
  }
  throw new ReefError('INVALID_ARGUMENT', `segment: output ${output.name} [${s.join(',')}] is not a class map`, {
    reason: 'not-a-segmenter',
  });
}

/** Nearest-neighbour map from the model grid (covering `region` of the image) to image pixels. */
export function maskForImage(grid: ClassMask, region: Rect, imageWidth: number, imageHeight: number): ClassMask {
  const classes = new Uint8Array(imageWidth * imageHeight);
  for (let y = 0; y < imageHeight; y++) {
    const gy = Math.min(grid.height - 1, Math.floor(((y + 0.5 - region.y) / region.height) * grid.height));
    for (let x = 0; x < imageWidth; x++) {
      const gx = Math.min(grid.width - 1, Math.floor(((x + 0.5 - region.x) / region.width) * grid.width));
      classes[y * imageWidth + x] = grid.classes[Math.max(0, gy) * grid.width + Math.max(0, gx)]!;
    }
  }
  return { width: imageWidth, height: imageHeight, classes };
}

export function classCounts(mask: ClassMask, labels?: Labels): SegmentClass[] {
  const counts = new Map<number, number>();
  for (const c of mask.classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([id, pixels]) => ({ id, label: labels?.get(id) ?? String(id), pixels }));
}

/** PASCAL VOC's color map (bit-interleaved class id), the usual palette for segmentation masks. */
export function pascalPalette(size = 256): [number, number, number][] {
  const palette: [number, number, number][] = [];
  for (let id = 0; id < size; id++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = id;
    for (let shift = 7; shift >= 0; shift--) {
      r |= ((c >> 0) & 1) << shift;
      g |= ((c >> 1) & 1) << shift;
      b |= ((c >> 2) & 1) << shift;
      c >>= 3;
    }
    palette.push([r, g, b]);
  }
  return palette;
}

/** The image with each non-background class tinted by its palette color. */
export function overlayMask(image: RgbaImage, mask: ClassMask, alpha = 0.5): RgbaImage {
  const palette = pascalPalette();
  const data = new Uint8Array(image.data);
  for (let i = 0; i < mask.classes.length; i++) {
    const id = mask.classes[i]!;
    if (id === 0) continue;
    const [r, g, b] = palette[id]!;
    data[i * 4] = Math.round(data[i * 4]! * (1 - alpha) + r * alpha);
    data[i * 4 + 1] = Math.round(data[i * 4 + 1]! * (1 - alpha) + g * alpha);
    data[i * 4 + 2] = Math.round(data[i * 4 + 2]! * (1 - alpha) + b * alpha);
  }
  return { width: image.width, height: image.height, data };
}
