/**
 * Camera frames straight from their YUV planes (VideoFrame.copyTo without conversion, a memcpy) to
 * an RGB model input: luma sampled bilinearly at the same positions as rgb-tensor.ts, chroma from
 * the nearest 2×2 chroma sample, converted to RGB only at the input's pixels, then the per-channel
 * value table. Measured in Chromium 156 on 2 cores for a 640×480 I420 camera frame: 2.1 ms to a
 * 224×224 input against 5.3 ms by canvas readback + the RGB pass and 4.5 ms by OffscreenCanvas
 * drawImage-resize (0.9 against 3.1 and 3.0 ms at 128×128), so camera frames take this path.
 * Tuned since to 0.83 ms on fresh camera frames (0.62 ms warm; `npm run bench -- yuv-tensor`,
 * 0.38× the first version in the same run) with the same bytes: the arithmetic is unchanged
 * (fixed-point weights would be faster but change bytes: 16-bit weights already move some), only
 * its shape is (see sampleRgbBytes).
 */
import { ReefError } from '../errors.ts';
import type { PixelTable } from './pixel-table.ts';
import type { Rect } from './resize.ts';
import type { RgbTarget } from './rgb-tensor.ts';
import { isIdentityTable, mapRgbBytes } from './table-map.ts';

/** A 4:2:0 picture as VideoFrame.copyTo lays it out: planes at offsets with their row strides. */
export interface YuvImage {
  width: number;
  height: number;
  /** I420: Y, U, V planes; NV12: Y, then U and V interleaved. */
  format: 'I420' | 'NV12';
  data: Uint8Array;
  planes: { offset: number; stride: number }[];
  /** From VideoFrame.colorSpace: BT.709 (HD cameras) or BT.601 (SD, the default), and the range. */
  matrix: 'bt709' | 'bt601';
  fullRange: boolean;
}

/** Y' scale and offset, and the chroma weights of R (V), G (U, V) and B (U). */
function coefficients(matrix: YuvImage['matrix'], fullRange: boolean): number[] {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const yScale = fullRange ? 1 : 255 / 219;
  const cScale = fullRange ? 1 : 255 / 224;
  const rv = 2 * (1 - kr) * cScale;
  const bu = 2 * (1 - kb) * cScale;
  const gu = ((2 * kb * (1 - kb)) / kg) * cScale;
  const gv = ((2 * kr * (1 - kr)) / kg) * cScale;
  return [yScale, fullRange ? 0 : 16, rv, gu, gv, bu];
}

/**
 * Each chroma term for every byte: `weight × (byte − 128)`, the very product the per-pixel formula
 * computed, so reading it back changes no bit of the sum; one table per term, per colour space.
 */
interface ChromaTerms {
  yScale: number;
  yOffset: number;
  /** R += rv·V, G −= gu·U then −= gv·V, B += bu·U. */
  rv: Float64Array;
  gu: Float64Array;
  gv: Float64Array;
  bu: Float64Array;
}

const chromaCache = new Map<string, ChromaTerms>();

function chromaTerms(matrix: YuvImage['matrix'], fullRange: boolean): ChromaTerms {
  const key = `${matrix}/${fullRange}`;
  let terms = chromaCache.get(key);
  if (!terms) {
    const [yScale, yOffset, rv, gu, gv, bu] = coefficients(matrix, fullRange) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const table = (weight: number): Float64Array => Float64Array.from({ length: 256 }, (_, b) => weight * (b - 128));
    terms = { yScale, yOffset, rv: table(rv), gu: table(gu), gv: table(gv), bu: table(bu) };
    chromaCache.set(key, terms);
  }
  return terms;
}

/** Per output column: the two luma columns, the second's weight and the chroma sample's offset. */
interface Columns {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float64Array;
  chroma: Int32Array;
}

/** Bilinear positions at pixel centres, clamped at the edges (rgb-tensor.ts' bilinearTaps). */
function columns(start: number, size: number, limit: number, count: number, chromaStep: number): Columns {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const weight = new Float64Array(count);
  const chroma = new Int32Array(count);
  const step = size / count;
  for (let i = 0; i < count; i++) {
    const f = Math.min(limit - 1, Math.max(0, start + (i + 0.5) * step - 0.5));
    const i0 = Math.floor(f);
    lo[i] = i0;
    hi[i] = Math.min(limit - 1, i0 + 1);
    weight[i] = f - i0;
    chroma[i] = (Math.round(f) >> 1) * chromaStep;
  }
  return { lo, hi, weight, chroma };
}

/** The RGB bytes of an int8 or float32 input before the table maps them (reused: the pass is synchronous). */
let scratch = new Uint8Array(0);

/**
 * Samples `region` of `image` onto the target's content area, maps each channel through `table`
 * (3 × 256 entries) and writes padding as black's table value.
 */
export function writeRgbTensorFromYuv(image: YuvImage, region: Rect, target: RgbTarget, table: PixelTable): void {
  const [yPlane, uPlane, vPlane] = image.planes;
  if (!yPlane || !uPlane || (image.format === 'I420' && !vPlane)) {
    throw new ReefError('INVALID_ARGUMENT', `a ${image.format} frame needs its planes' layout`, {
      reason: 'bad-frame-layout',
    });
  }
  const { out, width, height } = target;
  const n = width * height * 3;
  // uint8 models fed raw pixels take the bytes as they are; other inputs map them afterwards.
  const identity = isIdentityTable(table);
  if (!identity && scratch.length < n) scratch = new Uint8Array(n);
  const bytes = identity ? (out as Uint8Array) : table instanceof Uint8Array ? (out as Uint8Array) : scratch;
  // NV12 keeps U and V side by side in one plane: V is the byte after U.
  const nv12 = image.format === 'NV12';
  const planes: PlaneLayout = {
    yBase: yPlane.offset,
    yStride: yPlane.stride,
    uBase: uPlane.offset,
    vBase: nv12 ? uPlane.offset + 1 : vPlane!.offset,
    cStride: uPlane.stride,
  };
  const cols = columns(region.x, region.width, image.width, target.contentWidth, nv12 ? 2 : 1);
  sampleRgbBytes(image, planes, region, target, cols, chromaTerms(image.matrix, image.fullRange), bytes);
  if (!identity) mapRgbBytes(bytes, table, out, n);
}

interface PlaneLayout {
  yBase: number;
  yStride: number;
  uBase: number;
  vBase: number;
  cStride: number;
}

/**
 * The hot loop, always into a Uint8Array (one element type: V8 keeps its stores monomorphic, and
 * the table is applied after, per type, in table-map.ts): luma bilinear, chroma from the nearest
 * 2×2 sample, with exactly the arithmetic of the first version (yuv-reference.ts in the tests),
 * so the same bytes. The chroma products come from 256-entry tables, and rounding is
 * `(v + 0.5) | 0` on [0.5, 254.5), which equals Math.round there (v + 0.5 is exact but just
 * below 0.5, which the first branch takes) and yields an integer without a float round and clamp
 * call.
 */
function sampleRgbBytes(
  image: YuvImage,
  planes: PlaneLayout,
  region: Rect,
  target: RgbTarget,
  cols: Columns,
  terms: ChromaTerms,
  out: Uint8Array,
): void {
  const data = image.data;
  const ih = image.height;
  const { width, height, contentWidth: cw, contentHeight: ch } = target;
  const { yBase, yStride, uBase, vBase, cStride } = planes;
  const { lo, hi, weight } = cols;
  const xC = cols.chroma;
  const { yScale, yOffset, rv: rvT, gu: guT, gv: gvT, bu: buT } = terms;
  const stepY = region.height / ch;
  const rowBytes = width * 3;
  for (let y = 0; y < ch; y++) {
    let o = y * rowBytes;
    const f = Math.min(ih - 1, Math.max(0, region.y + (y + 0.5) * stepY - 0.5));
    const y0 = Math.floor(f);
    const dy = f - y0;
    const top = yBase + y0 * yStride;
    const bottom = yBase + Math.min(ih - 1, y0 + 1) * yStride;
    const chromaRow = (Math.round(f) >> 1) * cStride;
    const uRow = uBase + chromaRow;
    const vRow = vBase + chromaRow;
    for (let x = 0; x < cw; x++, o += 3) {
      const l = lo[x]!;
      const r = hi[x]!;
      const dx = weight[x]!;
      const a = data[top + l]!;
      const b = data[top + r]!;
      const c = data[bottom + l]!;
      const d = data[bottom + r]!;
      const t = a + (b - a) * dx;
      const luma = (t + (c + (d - c) * dx - t) * dy - yOffset) * yScale;
      const ci = xC[x]!;
      const u = data[uRow + ci]!;
      const v = data[vRow + ci]!;
      const red = luma + rvT[v]!;
      const green = luma - guT[u]! - gvT[v]!;
      const blue = luma + buT[u]!;
      out[o] = red < 0.5 ? 0 : red < 254.5 ? (red + 0.5) | 0 : 255;
      out[o + 1] = green < 0.5 ? 0 : green < 254.5 ? (green + 0.5) | 0 : 255;
      out[o + 2] = blue < 0.5 ? 0 : blue < 254.5 ? (blue + 0.5) | 0 : 255;
    }
    // Letterbox padding beside the picture is black (byte 0, which the table maps to black's value).
    if (cw < width) out.fill(0, o, (y + 1) * rowBytes);
  }
  if (ch < height) out.fill(0, ch * rowBytes, height * rowBytes);
}
