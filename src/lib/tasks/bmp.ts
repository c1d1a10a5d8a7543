/**
 * Windows BMP: decode (24/32-bit, 8/4/1-bit palette, bottom-up or top-down, uncompressed) and
 * encode (24-bit RGB, or 8-bit palette for class masks). Test images and masks use this format.
 */
import { ReefError } from '../errors.ts';
import type { RgbaImage } from './image.ts';
import { MAX_IMAGE_PIXELS } from './image-header.ts';

const BI_RGB = 0;
const BI_BITFIELDS = 3;

function bad(message: string, reason: string): ReefError {
  return new ReefError('INVALID_ARGUMENT', `bmp: ${message}`, { reason });
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

export interface DecodedBmp extends RgbaImage {
  /** For palette images, the palette index of each pixel (class masks are stored this way). */
  indices?: Uint8Array;
}

export function decodeBmp(bytes: Uint8Array): DecodedBmp {
  if (!isBmp(bytes) || bytes.length < 54) throw bad('not a BMP file (no "BM" header)', 'bad-magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bpp = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw bad(`bad size ${width}x${rawHeight}`, 'bad-size');
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ReefError(
      'RESOURCE_EXHAUSTED',
      `bmp: ${width}x${height} is ${(width * height).toLocaleString('en')} pixels; Reef decodes images of up to ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels`,
      { reason: 'image-too-large' },
    );
  }
  if (compression !== BI_RGB && !(compression === BI_BITFIELDS && bpp === 32)) {
    throw bad(`compression ${compression} is not supported (only uncompressed)`, 'unsupported-compression');
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) throw bad(`${bpp} bits per pixel is not supported`, 'unsupported-depth');
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (pixelOffset + stride * height > bytes.length) {
    throw bad(`pixel data needs ${stride * height} bytes at ${pixelOffset}, file has ${bytes.length}`, 'truncated');
  }
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const colors = view.getUint32(46, true) || 1 << bpp;
    const start = 14 + headerSize;
    palette = bytes.subarray(start, start + colors * 4);
  }
  const data = new Uint8Array(width * height * 4);
  const indices = bpp <= 8 ? new Uint8Array(width * height) : undefined;
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (bpp === 24 || bpp === 32) {
        const p = row + x * (bpp / 8);
        data[o] = bytes[p + 2]!;
        data[o + 1] = bytes[p + 1]!;
        data[o + 2] = bytes[p]!;
        data[o + 3] = 255;
      } else {
        const bit = x * bpp;
        const byte = bytes[row + (bit >> 3)]!;
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        indices![y * width + x] = index;
        data[o] = palette![index * 4 + 2] ?? 0;
        data[o + 1] = palette![index * 4 + 1] ?? 0;
        data[o + 2] = palette![index * 4] ?? 0;
        data[o + 3] = 255;
      }
    }
  }
  return indices ? { width, height, data, indices } : { width, height, data };
}

function header(width: number, height: number, bpp: number, paletteColors: number): Uint8Array {
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const pixelOffset = 54 + paletteColors * 4;
  const size = pixelOffset + stride * height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, pixelOffset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true); // positive: bottom-up, the common layout
  view.setUint16(26, 1, true);
  view.setUint16(28, bpp, true);
  view.setUint32(34, stride * height, true);
  view.setInt32(38, 2835, true); // 72 dpi
  view.setInt32(42, 2835, true);
  view.setUint32(46, paletteColors, true);
  return out;
}

/** 24-bit BMP of an RGBA image (alpha dropped). */
export function encodeBmp(image: RgbaImage): Uint8Array {
  const { width, height, data } = image;
  const out = header(width, height, 24, 0);
  const stride = Math.ceil((width * 24) / 32) * 4;
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      out[row + x * 3] = data[i + 2]!;
      out[row + x * 3 + 1] = data[i + 1]!;
      out[row + x * 3 + 2] = data[i]!;
    }
  }
  return out;
}

/** 8-bit palette BMP: one index per pixel, `palette` as [r, g, b] per index (up to 256). */
export function encodeIndexedBmp(
  width: number,
  height: number,
  indices: Uint8Array,
  palette: readonly (readonly [number, number, number])[],
): Uint8Array {
  if (indices.length !== width * height) throw bad(`${indices.length} indices for ${width}x${height}`, 'bad-size');
  if (palette.length === 0 || palette.length > 256) throw bad(`palette of ${palette.length} colors`, 'bad-palette');
  const out = header(width, height, 8, palette.length);
  palette.forEach(([r, g, b], i) => {
    out[54 + i * 4] = b;
    out[54 + i * 4 + 1] = g;
    out[54 + i * 4 + 2] = r;
  });
  const pixelOffset = 54 + palette.length * 4;
  const stride = Math.ceil(width / 4) * 4;
  for (let y = 0; y < height; y++) {
    out.set(indices.subarray(y * width, (y + 1) * width), pixelOffset + (height - 1 - y) * stride);
  }
  return out;
}
