/**
 * The straightforward YUV → RGB input conversion as it was before yuv-tensor.ts was tuned (float
 * bilinear luma, nearest 2×2 chroma, Math.round and a clamp per channel, the pixel table written
 * through its union type). The tuned path must give exactly these bytes (yuv-exact.test.ts), and
 * the yuv-tensor bench times both in the same run. Kept here, not in src: it is a yardstick only.
 */
import type { PixelTable } from '../../../src/lib/tasks/pixel-table.ts';
import type { Rect } from '../../../src/lib/tasks/resize.ts';
import type { RgbTarget } from '../../../src/lib/tasks/rgb-tensor.ts';
import type { YuvImage } from '../../../src/lib/tasks/yuv-tensor.ts';

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

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

export function referenceRgbFromYuv(image: YuvImage, region: Rect, target: RgbTarget, table: PixelTable): void {
  const { width: iw, height: ih, data } = image;
  const [yPlane, uPlane, vPlane] = image.planes as [
    YuvImage['planes'][0],
    YuvImage['planes'][0],
    YuvImage['planes'][0],
  ];
  const { out, width, height, contentWidth: cw, contentHeight: ch } = target;
  const [yScale, yOffset, rv, gu, gv, bu] = coefficients(image.matrix, image.fullRange) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const uBase = uPlane.offset;
  const vBase = image.format === 'NV12' ? uPlane.offset + 1 : vPlane.offset;
  const chromaStep = image.format === 'NV12' ? 2 : 1;
  const cStride = uPlane.stride;
  const yStride = yPlane.stride;
  const yBase = yPlane.offset;
  const stepX = region.width / cw;
  const stepY = region.height / ch;
  const xLo = new Int32Array(cw);
  const xHi = new Int32Array(cw);
  const xW = new Float64Array(cw);
  const xC = new Int32Array(cw);
  for (let i = 0; i < cw; i++) {
    const f = Math.min(iw - 1, Math.max(0, region.x + (i + 0.5) * stepX - 0.5));
    const i0 = Math.floor(f);
    xLo[i] = i0;
    xHi[i] = Math.min(iw - 1, i0 + 1);
    xW[i] = f - i0;
    xC[i] = (Math.round(f) >> 1) * chromaStep;
  }
  const padR = table[0]!;
  const padG = table[256]!;
  const padB = table[512]!;
  for (let y = 0; y < height; y++) {
    let o = y * width * 3;
    if (y < ch) {
      const f = Math.min(ih - 1, Math.max(0, region.y + (y + 0.5) * stepY - 0.5));
      const y0 = Math.floor(f);
      const dy = f - y0;
      const top = yBase + y0 * yStride;
      const bottom = yBase + Math.min(ih - 1, y0 + 1) * yStride;
      const chromaRow = (Math.round(f) >> 1) * cStride;
      for (let x = 0; x < cw; x++, o += 3) {
        const l = xLo[x]!;
        const r = xHi[x]!;
        const dx = xW[x]!;
        const a = data[top + l]!;
        const b = data[top + r]!;
        const c = data[bottom + l]!;
        const d = data[bottom + r]!;
        const t = a + (b - a) * dx;
        const luma = (t + (c + (d - c) * dx - t) * dy - yOffset) * yScale;
        const ci = chromaRow + xC[x]!;
        const u = data[uBase + ci]! - 128;
        const v = data[vBase + ci]! - 128;
        out[o] = table[clampByte(luma + rv * v)]!;
        out[o + 1] = table[256 + clampByte(luma - gu * u - gv * v)]!;
        out[o + 2] = table[512 + clampByte(luma + bu * u)]!;
      }
    }
    for (let x = y < ch ? cw : 0; x < width; x++, o += 3) {
      out[o] = padR;
      out[o + 1] = padG;
      out[o + 2] = padB;
    }
  }
}
