/**
 * Image dimensions read from the file header, before any decoder runs. A 389 KB PNG can claim
 * 20000×20000 pixels (1.6 GB as RGBA), and decoders allocate what the header says: so every
 * path that decodes an image file (the CLI's decoders, the page's createImageBitmap) first reads
 * the size here and refuses anything above MAX_IMAGE_PIXELS.
 */
import { ReefError } from '../errors.ts';
import { imageFormat, type ImageFormat } from '../image-format.ts';

export { imageFormat, type ImageFormat };

/** The most pixels an image file may have: 40 megapixels (160 MB as RGBA). */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export function imageError(name: string, message: string, reason: string): ReefError {
  return new ReefError('INVALID_ARGUMENT', `${name}: ${message}`, { reason });
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Walks JPEG segments to the frame header (SOFn); EXIF and ICC segments before it are skipped. */
function jpegSize(bytes: Uint8Array, view: DataView, name: string): { width: number; height: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw imageError(name, `JPEG: no segment marker at byte ${at}`, 'bad-image');
    let marker = bytes[at + 1]!;
    while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    const length = view.getUint16(at + 2);
    if (JPEG_SOF.has(marker)) {
      if (at + 9 > bytes.length) break;
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    if (length < 2) throw imageError(name, `JPEG: segment of length ${length} at byte ${at}`, 'bad-image');
    at += 2 + length;
  }
  throw imageError(
    name,
    'JPEG: no frame header (SOF) before the image data; the file is truncated or not a JPEG',
    'truncated-image',
  );
}

function webpSize(bytes: Uint8Array, view: DataView, name: string): { width: number; height: number } {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const u24 = (at: number): number => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  throw imageError(name, 'WebP: no frame header; the file is truncated or not a WebP image', 'truncated-image');
}

/**
 * Format and size from the header, refusing files whose header is missing or truncated, sizes of
 * zero, and sizes above MAX_IMAGE_PIXELS (the number is in the message). Decodes nothing.
 */
export function readImageHeader(bytes: Uint8Array, name = 'image'): ImageHeader {
  const format = imageFormat(bytes);
  if (!format) throw imageError(name, 'not a BMP, PNG, JPEG, GIF or WebP image', 'unknown-image-format');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (length: number): void => {
    if (bytes.length < length) {
      throw imageError(
        name,
        `${format.toUpperCase()}: the header is truncated (${bytes.length} bytes)`,
        'truncated-image',
      );
    }
  };
  let size: { width: number; height: number };
  switch (format) {
    case 'bmp':
      need(26);
      size = { width: view.getInt32(18, true), height: Math.abs(view.getInt32(22, true)) };
      break;
    case 'png':
      need(24);
      if (ascii(bytes, 12, 4) !== 'IHDR') throw imageError(name, 'PNG: the first chunk is not IHDR', 'bad-image');
      size = { width: view.getUint32(16), height: view.getUint32(20) };
      break;
    case 'gif':
      need(10);
      size = { width: view.getUint16(6, true), height: view.getUint16(8, true) };
      break;
    case 'jpeg':
      size = jpegSize(bytes, view, name);
      break;
    case 'webp':
      size = webpSize(bytes, view, name);
      break;
  }
  const { width, height } = size;
  if (!(width > 0 && height > 0)) {
    throw imageError(name, `${format.toUpperCase()}: the header says ${width}×${height} pixels`, 'bad-image-size');
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ReefError(
      'RESOURCE_EXHAUSTED',
      `${name}: ${width}×${height} is ${(width * height).toLocaleString('en')} pixels; Reef decodes images of up to ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels (40 megapixels)`,
      { reason: 'image-too-large' },
    );
  }
  return { format, width, height };
}

/** How much of a file the browser path reads for the header; a JPEG's frame header can sit after large EXIF/ICC segments. */
const HEADER_WINDOW = 1 << 20;

/**
 * The browser path: the header of an image Blob/File, checked before createImageBitmap decodes it.
 * Reads the first MiB, and the whole file only when a JPEG's frame header lies beyond that.
 */
export async function readImageBlobHeader(blob: Blob, name = 'image'): Promise<ImageHeader> {
  const head = new Uint8Array(await blob.slice(0, HEADER_WINDOW).arrayBuffer());
  try {
    return readImageHeader(head, name);
  } catch (error) {
    const truncated = error instanceof ReefError && error.reason === 'truncated-image';
    if (!truncated || blob.size <= head.length) throw error;
    return readImageHeader(new Uint8Array(await blob.arrayBuffer()), name);
  }
}
