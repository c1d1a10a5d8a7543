/**
 * Resampling for model inputs, in TypeScript so page, worker and CLI feed models identical bytes.
 * - `bilinear` (default): 2x2 taps at pixel centres (OpenCV INTER_LINEAR, TF half-pixel bilinear),
 *   the preprocessing MobileNet's reference results reproduce with (tiger cat / Egyptian cat).
 * - `area`: triangle filter whose support grows with the downscale factor (PIL's BILINEAR), smoother.
 * - `nearest`: PIL's NEAREST (pycoral's tests).
 */
import type { RgbaImage } from './image.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Weights {
  start: Int32Array;
  count: Int32Array;
  values: Float32Array;
  maxTaps: number;
}

function weights(srcStart: number, srcSize: number, srcLimit: number, dstSize: number): Weights {
  const scale = srcSize / dstSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const values = new Float32Array(dstSize * maxTaps);
  for (let i = 0; i < dstSize; i++) {
    const center = srcStart + (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(srcLimit, Math.ceil(center + support));
    let sum = 0;
    let n = 0;
    for (let s = lo; s < hi && n < maxTaps; s++, n++) {
      const w = Math.max(0, 1 - Math.abs((s + 0.5 - center) / support));
      values[i * maxTaps + n] = w;
      sum += w;
    }
    start[i] = lo;
    count[i] = n;
    if (sum > 0) for (let k = 0; k < n; k++) values[i * maxTaps + k]! /= sum;
  }
  return { start, count, values, maxTaps };
}

export type Resample = 'nearest' | 'bilinear' | 'area';

/** 2x2 bilinear at pixel centres, clamped at the edges. */
export function resizeBilinear(image: RgbaImage, region: Rect, width: number, height: number): RgbaImage {
  const out = new Uint8Array(width * height * 4);
  const src = image.data;
  const sx = region.width / width;
  const sy = region.height / height;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(maxY, Math.max(0, region.y + (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(maxY, y0 + 1);
    const dy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(maxX, Math.max(0, region.x + (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(maxX, x0 + 1);
      const dx = fx - x0;
      const a = (y0 * image.width + x0) * 4;
      const b = (y0 * image.width + x1) * 4;
      const c = (y1 * image.width + x0) * 4;
      const d = (y1 * image.width + x1) * 4;
      const o = (y * width + x) * 4;
      for (let k = 0; k < 4; k++) {
        const top = src[a + k]! + (src[b + k]! - src[a + k]!) * dx;
        const bottom = src[c + k]! + (src[d + k]! - src[c + k]!) * dx;
        out[o + k] = Math.round(top + (bottom - top) * dy);
      }
    }
  }
  return { width, height, data: out };
}

/**
 * Nearest neighbour with PIL's sampling positions (pixel centres): what pycoral's tests feed their
 * models, so reference results (e.g. "tiger cat" for MobileNet 0.25/128 on cat.bmp) reproduce.
 */
export function resizeNearest(image: RgbaImage, region: Rect, width: number, height: number): RgbaImage {
  const out = new Uint8Array(width * height * 4);
  const src = image.data;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(region.y + ((y + 0.5) * region.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(region.x + ((x + 0.5) * region.width) / width));
      const s = (sy * image.width + sx) * 4;
      out.set(src.subarray(s, s + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data: out };
}

/** Resamples `region` of `image` (pixels, inside the image) to `width` x `height`. */
export function resizeRegion(
  image: RgbaImage,
  region: Rect,
  width: number,
  height: number,
  resample: Resample = 'bilinear',
): RgbaImage {
  // 'area' below.
  if (resample === 'nearest') return resizeNearest(image, region, width, height);
  if (resample === 'bilinear') return resizeBilinear(image, region, width, height);
  const wx = weights(region.x, region.width, image.width, width);
  const wy = weights(region.y, region.height, image.height, height);
  // Horizontal pass over the rows the vertical pass needs, in float.
  const y0 = wy.start[0]!;
  const y1 = wy.start[height - 1]! + wy.count[height - 1]!;
  const rows = y1 - y0;
  const tmp = new Float32Array(rows * width * 4);
  const src = image.data;
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + y0) * image.width * 4;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      const s0 = wx.start[x]!;
      const n = wx.count[x]!;
      for (let k = 0; k < n; k++) {
        const w = wx.values[x * wx.maxTaps + k]!;
        const p = rowBase + (s0 + k) * 4;
        r += src[p]! * w;
        g += src[p + 1]! * w;
        b += src[p + 2]! * w;
        a += src[p + 3]! * w;
      }
      const o = (y * width + x) * 4;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
      tmp[o + 3] = a;
    }
  }
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const s0 = wy.start[y]! - y0;
    const n = wy.count[y]!;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += tmp[((s0 + k) * width + x) * 4 + c]! * wy.values[y * wy.maxTaps + k]!;
        out[(y * width + x) * 4 + c] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return { width, height, data: out };
}
