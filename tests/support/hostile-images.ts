/**
 * Generators of hostile images: truncated files, headers that claim 20000×20000, and a real
 * 20000×20000 PNG (rows of zeros, a few hundred KB compressed; see zeroPng in hostile-zip.ts).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { crc32 } from 'node:zlib';

export { zeroPng } from './hostile-zip.ts';

function gradient(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([(i * 3) % 256, (i * 5) % 256, (i * 7) % 256, 255], i * 4);
  return data;
}

export function smallPng(width = 32, height = 32): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(gradient(width, height));
  return new Uint8Array(PNG.sync.write(png));
}

export function smallJpeg(width = 32, height = 32): Uint8Array {
  return new Uint8Array(jpeg.encode({ data: gradient(width, height), width, height }, 90).data);
}

/** The first `fraction` of the file. */
export function truncated(bytes: Uint8Array, fraction = 0.5): Uint8Array {
  return bytes.slice(0, Math.floor(bytes.length * fraction));
}

/** A small PNG whose IHDR (CRC fixed up) claims `width`×`height`; its pixel data stays small. */
export function pngClaiming(width = 20_000, height = 20_000): Uint8Array {
  const png = smallPng();
  const view = new DataView(png.buffer);
  // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

/** A small JPEG whose start-of-frame marker claims `width`×`height`. */
export function jpegClaiming(width = 20_000, height = 20_000): Uint8Array {
  const bytes = smallJpeg();
  for (let at = 2; at + 9 < bytes.length;) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      const view = new DataView(bytes.buffer);
      view.setUint16(at + 5, height);
      view.setUint16(at + 7, width);
      return bytes;
    }
    at += 2 + length;
  }
  throw new Error('generator: no start-of-frame marker');
}
