/**
 * The fast path from RGBA pixels to an RGB model input: resize and value mapping in one pass over the
 * output, straight into the tensor (no resized RGBA copy, no float staging array). Sampling
 * positions are computed once per column and row, and values go through a per-channel table
 * (pixel-table.ts). Same arithmetic as resize.ts + encodePixels, so the same bytes: the CLI, the
 * page's still images and the camera frames feed a model identically.
 */
import type { RgbaImage } from './image.ts';
import type { PixelTable } from './pixel-table.ts';
import type { Rect } from './resize.ts';

/** Where each output column (or row) reads: two source indices and the weight of the second. */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float64Array;
}

/** 2x2 bilinear at pixel centres, clamped at the edges (resizeBilinear's positions). */
function bilinearTaps(start: number, size: number, limit: number, count: number): Taps {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const weight = new Float64Array(count);
  const step = size / count;
  const max = limit - 1;
  for (let i = 0; i < count; i++) {
    const f = Math.min(max, Math.max(0, start + (i + 0.5) * step - 0.5));
    const i0 = Math.floor(f);
    lo[i] = i0;
    hi[i] = Math.min(max, i0 + 1);
    weight[i] = f - i0;
  }
  return { lo, hi, weight };
}

/** PIL's nearest positions (resizeNearest's): weight 0, so the bilinear loop reads one pixel. */
function nearestTaps(start: number, size: number, limit: number, count: number): Taps {
  const lo = new Int32Array(count);
  for (let i = 0; i < count; i++) lo[i] = Math.min(limit - 1, Math.floor(start + ((i + 0.5) * size) / count));
  return { lo, hi: lo, weight: new Float64Array(count) };
}

export interface RgbTarget {
  /** The whole input, `width × height × 3`. */
  out: PixelTable;
  width: number;
  height: number;
  /** The part of the input the picture fills (the rest, letterbox padding, is black). */
  contentWidth: number;
  contentHeight: number;
}

/**
 * Samples `region` of `image` onto the target's content area, maps each channel through `table`
 * (3 × 256 entries) and writes padding as black's table value.
 */
export function writeRgbTensor(
  image: RgbaImage,
  region: Rect,
  target: RgbTarget,
  table: PixelTable,
  resample: 'bilinear' | 'nearest',
): void {
  const { out, width, height, contentWidth: cw, contentHeight: ch } = target;
  const taps = resample === 'bilinear' ? bilinearTaps : nearestTaps;
  const xs = taps(region.x, region.width, image.width, cw);
  const ys = taps(region.y, region.height, image.height, ch);
  const src = image.data;
  const rowBytes = image.width * 4;
  const padR = table[0]!;
  const padG = table[256]!;
  const padB = table[512]!;
  for (let y = 0; y < height; y++) {
    let o = y * width * 3;
    if (y < ch) {
      const top = ys.lo[y]! * rowBytes;
      const bottom = ys.hi[y]! * rowBytes;
      const dy = ys.weight[y]!;
      for (let x = 0; x < cw; x++, o += 3) {
        const l = xs.lo[x]! * 4;
        const r = xs.hi[x]! * 4;
        const dx = xs.weight[x]!;
        // Channels unrolled: 30 % faster than a k-loop in V8 (1.8 vs 2.5 ms for 640×480 → 224²).
        const a = top + l;
        const b = top + r;
        const c = bottom + l;
        const d = bottom + r;
        let t = src[a]! + (src[b]! - src[a]!) * dx;
        let u = src[c]! + (src[d]! - src[c]!) * dx;
        out[o] = table[Math.round(t + (u - t) * dy)]!;
        t = src[a + 1]! + (src[b + 1]! - src[a + 1]!) * dx;
        u = src[c + 1]! + (src[d + 1]! - src[c + 1]!) * dx;
        out[o + 1] = table[256 + Math.round(t + (u - t) * dy)]!;
        t = src[a + 2]! + (src[b + 2]! - src[a + 2]!) * dx;
        u = src[c + 2]! + (src[d + 2]! - src[c + 2]!) * dx;
        out[o + 2] = table[512 + Math.round(t + (u - t) * dy)]!;
      }
    }
    for (let x = y < ch ? cw : 0; x < width; x++, o += 3) {
      out[o] = padR;
      out[o + 1] = padG;
      out[o + 2] = padB;
    }
  }
}
