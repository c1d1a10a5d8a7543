/**
 * Hostile dataset ZIPs, generated (never stored): a deflate bomb whose central directory points
 * many entries at one member, a manifest with 100,000 samples naming one image, 50,000 classes, and
 * a large honest dataset (for cancelling). Manifests follow src/lib/store/dataset-zip.ts.
 */
import { Deflate, strToU8, zipSync, type Zippable } from 'fflate';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface ManifestSample {
  file: string;
  class: number;
  type: string;
  source: 'file';
  createdAt: number;
  seq: number;
}

function manifest(classes: number, samples: ManifestSample[]): Uint8Array {
  return strToU8(
    JSON.stringify({
      format: 'reef-dataset',
      version: 1,
      name: 'hostile',
      createdAt: 0,
      updatedAt: 0,
      nextSeq: samples.length,
      classes: Array.from({ length: classes }, (_, i) => ({ name: `class ${i}`, createdAt: 0 })),
      samples,
    }),
  );
}

const sample = (file: string, cls: number, seq: number, type = 'image/bmp'): ManifestSample => ({
  file,
  class: cls,
  type,
  source: 'file',
  createdAt: 0,
  seq,
});

/** A w×h 24-bit BMP whose pixels depend on `seed` (so every image is distinct). */
export function tinyBmp(seed: number, w = 8, h = 8): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4;
  const size = 54 + row * h;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, w, true);
  view.setInt32(22, h, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, row * h, true);
  for (let i = 54; i < size; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

/** Raw deflate of `mb` MiB of zeros (about 1 KiB per MiB). */
function deflatedZeros(mb: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const deflate = new Deflate({ level: 9 }, (chunk) => parts.push(chunk));
  const zeros = new Uint8Array(1024 * 1024);
  for (let i = 0; i < mb; i++) deflate.push(zeros, i === mb - 1);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface RawEntry {
  name: string;
  /** Offset of the local header this central entry points at. */
  offset: number;
  method: 0 | 8;
  crc: number;
  compressed: number;
  size: number;
}

/**
 * A ZIP bomb of about 100 KB: one deflated member of 100 MiB of zeros, and 52 central-directory
 * entries (samples) that all point at it: 5.2 GB when every entry is inflated. With `declaredBytes`
 * the headers lie about the inflated size (e.g. 1 KiB), so only counting while inflating catches it.
 */
export function overlapBombZip(declaredBytes = 100 * 1024 * 1024): Uint8Array {
  const entries = 52;
  const member = deflatedZeros(100);
  const samples = Array.from({ length: entries }, (_, i) => sample(`images/0/${i}.bmp`, 0, i));
  const manifestBytes = manifest(1, samples);
  const chunks: Uint8Array[] = [];
  const central: RawEntry[] = [];
  let offset = 0;
  const local = (name: string, method: 0 | 8, crc: number, data: Uint8Array, size: number): number => {
    const nameBytes = strToU8(name);
    const header = new Uint8Array(30 + nameBytes.length);
    const v = new DataView(header.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(8, method, true);
    v.setUint32(14, crc, true);
    v.setUint32(18, data.length, true);
    v.setUint32(22, size, true);
    v.setUint16(26, nameBytes.length, true);
    header.set(nameBytes, 30);
    const at = offset;
    chunks.push(header, data);
    offset += header.length + data.length;
    return at;
  };
  const manifestAt = local('manifest.json', 0, crc32(manifestBytes), manifestBytes, manifestBytes.length);
  central.push({
    name: 'manifest.json',
    offset: manifestAt,
    method: 0,
    crc: crc32(manifestBytes),
    compressed: manifestBytes.length,
    size: manifestBytes.length,
  });
  const memberAt = local('images/0/0.bmp', 8, 0, member, declaredBytes);
  for (const s of samples)
    central.push({
      name: s.file,
      offset: memberAt,
      method: 8,
      crc: 0,
      compressed: member.length,
      size: declaredBytes,
    });
  const cdStart = offset;
  for (const e of central) {
    const nameBytes = strToU8(e.name);
    const header = new Uint8Array(46 + nameBytes.length);
    const v = new DataView(header.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(6, 20, true);
    v.setUint16(10, e.method, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, e.compressed, true);
    v.setUint32(24, e.size, true);
    v.setUint16(28, nameBytes.length, true);
    v.setUint32(42, e.offset, true);
    header.set(nameBytes, 46);
    chunks.push(header);
    offset += header.length;
  }
  const end = new Uint8Array(22);
  const v = new DataView(end.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, central.length, true);
  v.setUint16(10, central.length, true);
  v.setUint32(12, offset - cdStart, true);
  v.setUint32(16, cdStart, true);
  chunks.push(end);
  const zip = new Uint8Array(offset + end.length);
  let at = 0;
  for (const c of chunks) {
    zip.set(c, at);
    at += c.length;
  }
  return zip;
}

/** A manifest of 100,000 samples that all name the one image in the ZIP. */
export function manySamplesZip(count = 100_000): Uint8Array {
  const samples = Array.from({ length: count }, (_, i) => sample('images/0/0.bmp', i % 2, i));
  return zipSync({ 'manifest.json': manifest(2, samples), 'images/0/0.bmp': [tinyBmp(0), { level: 0 }] });
}

/** 50,000 classes, two samples. */
export function manyClassesZip(count = 50_000): Uint8Array {
  return zipSync({
    'manifest.json': manifest(count, [sample('images/0/0.bmp', 0, 0), sample('images/1/1.bmp', 1, 1)]),
    'images/0/0.bmp': [tinyBmp(0), { level: 0 }],
    'images/1/1.bmp': [tinyBmp(1), { level: 0 }],
  });
}

/** An honest dataset of `count` distinct small images in two classes: slow enough to cancel. */
export function largeHonestZip(count: number): Uint8Array {
  const files: Zippable = {};
  const samples: ManifestSample[] = [];
  for (let i = 0; i < count; i++) {
    const file = `images/${i % 2}/${i}.bmp`;
    files[file] = [tinyBmp(i, 32, 32), { level: 0 }];
    samples.push(sample(file, i % 2, i));
  }
  files['manifest.json'] = manifest(2, samples);
  return zipSync(files);
}
