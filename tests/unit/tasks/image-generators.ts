/** Generators of image files whose headers lie (no large files are stored: the bytes are built here). */
import { deflateSync } from 'node:zlib';
import { readFixture } from '../../support/fixtures.ts';

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A well-formed PNG (signature, IHDR, IDAT, IEND, valid CRCs) claiming width×height RGB over `pixels` (filter bytes included). */
export function pngClaiming(width: number, height: number, pixels = new Uint8Array(4096)): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', new Uint8Array()),
  ];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** pets.jpg with its frame header (SOF0) rewritten to claim width×height. */
export async function jpegClaiming(width: number, height: number): Promise<Uint8Array> {
  const bytes = (await readFixture('pets.jpg')).slice();
  for (let at = 2; at < bytes.length;) {
    const marker = bytes[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      view.setUint16(at + 5, height);
      view.setUint16(at + 7, width);
      return bytes;
    }
    at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
  }
  throw new Error('pets.jpg has no SOF0');
}
