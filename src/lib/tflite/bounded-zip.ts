/**
 * A ZIP reader for files a stranger hands Reef (labels appended to a model, dataset archives).
 * fflate's `unzipSync` believes the archive: entries that share one member, sizes that lie and
 * deflate streams that expand 1000× all reach memory before anything can say no. Here every limit
 * is checked from the central directory first (entry count, declared sizes, overlapping data
 * ranges), and again while inflating: a member is fed to the inflater in small pieces and reading
 * stops as soon as it passes its declared size or the archive's total budget.
 */
import { Inflate } from 'fflate';
import { ReefError, type ReefErrorCode } from '../errors.ts';

export interface ZipLimits {
  /** Most central-directory entries accepted. */
  maxEntries: number;
  /** Most inflated bytes of one entry. */
  maxEntryBytes: number;
  /** Most inflated bytes of all entries read from one archive. */
  maxTotalBytes: number;
}

/**
 * Stable `reason`s of a refused archive: `zip-limit` (a documented limit was passed), `zip-overlap`
 * (two entries share bytes: the classic quine/overlap bomb), `zip-size-mismatch` (a member inflates
 * to other than its declared size), `zip-malformed`, `zip-unsupported` (ZIP64, encryption, methods
 * other than stored/deflate).
 */
export type ZipErrorReason = 'zip-limit' | 'zip-overlap' | 'zip-size-mismatch' | 'zip-malformed' | 'zip-unsupported';

const CODES: Record<ZipErrorReason, ReefErrorCode> = {
  'zip-limit': 'RESOURCE_EXHAUSTED',
  'zip-overlap': 'DATA_LOSS',
  'zip-size-mismatch': 'DATA_LOSS',
  'zip-malformed': 'DATA_LOSS',
  'zip-unsupported': 'UNIMPLEMENTED',
};

export function zipError(reason: ZipErrorReason, message: string, cause?: unknown): ReefError {
  return new ReefError(CODES[reason], message, cause === undefined ? { reason } : { reason, cause });
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the member's data (after its local header) in the archive. */
  dataStart: number;
  crc: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT_BYTES = 65535;
/**
 * EOCD candidates tried before giving up: a trailing comment full of signatures would otherwise
 * make a reader walk one central directory per signature (an EOCD flood).
 */
export const MAX_EOCD_CANDIDATES = 8;
/** Compressed bytes fed to the inflater at a time: deflate expands at most ~1032×, so ≤ 4 MiB per step. */
const FEED_BYTES = 4096;

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0
  );
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}

/** Where end-of-central-directory records may start, newest first, at most MAX_EOCD_CANDIDATES. */
export function eocdCandidates(bytes: Uint8Array, notBefore = 0): number[] {
  const found: number[] = [];
  const lowest = Math.max(notBefore, bytes.length - EOCD_BYTES - MAX_COMMENT_BYTES);
  for (let at = bytes.length - EOCD_BYTES; at >= lowest && found.length < MAX_EOCD_CANDIDATES; at--)
    if (u32(bytes, at) === EOCD_SIGNATURE) found.push(at);
  return found;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();

/**
 * The archive's entries, from its central directory, after checking the limits that declared
 * sizes already show, that no two entries' data overlap and that all data lies before the
 * central directory. Offsets count from the start of `zip`.
 */
export function listZip(zip: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const candidates = eocdCandidates(zip);
  if (candidates.length === 0) throw zipError('zip-malformed', 'not a ZIP archive: no end-of-central-directory record');
  let lastError: ReefError | undefined;
  for (const eocd of candidates) {
    try {
      return listFrom(zip, eocd, limits);
    } catch (error) {
      // Limits are facts of the archive, not of a false signature: stop at the first.
      if (error instanceof ReefError && error.reason !== 'zip-malformed') throw error;
      lastError = error as ReefError;
    }
  }
  throw lastError!;
}

function listFrom(zip: Uint8Array, eocd: number, limits: ZipLimits): ZipEntry[] {
  const count = u16(zip, eocd + 10);
  const cdSize = u32(zip, eocd + 12);
  const cdOffset = u32(zip, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw zipError('zip-unsupported', 'ZIP64 archives are not supported');
  if (u16(zip, eocd + 4) !== 0 || u16(zip, eocd + 6) !== 0 || u16(zip, eocd + 8) !== count)
    throw zipError('zip-unsupported', 'multi-part ZIP archives are not supported');
  if (count > limits.maxEntries)
    throw zipError('zip-limit', `the ZIP has ${count} entries; at most ${limits.maxEntries} are accepted`);
  if (cdOffset + cdSize > eocd)
    throw zipError('zip-malformed', `ZIP central directory [${cdOffset}, +${cdSize}) overlaps its end record`);
  const entries: ZipEntry[] = [];
  const ranges: [number, number, string][] = [];
  const names = new Set<string>();
  let declaredTotal = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || u32(zip, at) !== CENTRAL_SIGNATURE)
      throw zipError('zip-malformed', `ZIP central directory entry ${i} is damaged`);
    const flags = u16(zip, at + 8);
    const method = u16(zip, at + 10);
    const crc = u32(zip, at + 16);
    const compressedSize = u32(zip, at + 20);
    const size = u32(zip, at + 24);
    const nameLength = u16(zip, at + 28);
    const next = at + 46 + nameLength + u16(zip, at + 30) + u16(zip, at + 32);
    const localOffset = u32(zip, at + 42);
    if (next > cdOffset + cdSize) throw zipError('zip-malformed', `ZIP central directory entry ${i} is truncated`);
    const name = (flags & 0x800 ? utf8 : latin1).decode(zip.subarray(at + 46, at + 46 + nameLength));
    at = next;
    if (flags & 1) throw zipError('zip-unsupported', `ZIP entry ${name} is encrypted`);
    if (method !== 0 && method !== 8)
      throw zipError(
        'zip-unsupported',
        `ZIP entry ${name} uses compression method ${method} (only stored and deflate)`,
      );
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff)
      throw zipError('zip-unsupported', `ZIP entry ${name} needs ZIP64`);
    if (method === 0 && compressedSize !== size)
      throw zipError(
        'zip-size-mismatch',
        `stored ZIP entry ${name} declares ${size} bytes but holds ${compressedSize}`,
      );
    if (size > limits.maxEntryBytes)
      throw zipError(
        'zip-limit',
        `ZIP entry ${name} declares ${size} bytes; at most ${limits.maxEntryBytes} per entry are accepted`,
      );
    declaredTotal += size;
    if (declaredTotal > limits.maxTotalBytes)
      throw zipError(
        'zip-limit',
        `the ZIP's entries declare over ${limits.maxTotalBytes} bytes in total, the most accepted`,
      );
    if (names.has(name)) throw zipError('zip-malformed', `the ZIP has two entries named ${name}`);
    names.add(name);
    if (localOffset + 30 > cdOffset || u32(zip, localOffset) !== LOCAL_SIGNATURE)
      throw zipError('zip-malformed', `ZIP entry ${name}: no local header at offset ${localOffset}`);
    const dataStart = localOffset + 30 + u16(zip, localOffset + 26) + u16(zip, localOffset + 28);
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > cdOffset)
      throw zipError(
        'zip-malformed',
        `ZIP entry ${name}: its ${compressedSize} bytes reach into the central directory`,
      );
    ranges.push([localOffset, dataEnd, name]);
    entries.push({ name, method, compressedSize, size, dataStart, crc });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    const [start, , name] = ranges[i]!;
    const [, previousEnd, previous] = ranges[i - 1]!;
    if (start < previousEnd)
      throw zipError('zip-overlap', `ZIP entries ${previous} and ${name} overlap (a ZIP bomb, or a damaged archive)`);
  }
  return entries;
}

/** Inflated bytes an archive may still produce; shared by every entry read from it. */
export class ZipBudget {
  #left: number;
  readonly total: number;
  constructor(totalBytes: number) {
    this.total = totalBytes;
    this.#left = totalBytes;
  }
  spend(bytes: number, name: string): void {
    this.#left -= bytes;
    if (this.#left < 0)
      throw zipError(
        'zip-limit',
        `reading ${name} passed ${this.total} inflated bytes, the most accepted from one ZIP`,
      );
  }
}

/**
 * One entry's bytes, inflated piece by piece into a buffer of its declared size: more or fewer
 * bytes than declared, or a budget passed, stops it at once.
 */
export function readZipEntry(zip: Uint8Array, entry: ZipEntry, budget: ZipBudget): Uint8Array {
  const data = zip.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  budget.spend(entry.size, entry.name);
  if (entry.method === 0) return checkCrc(data, entry);
  const out = new Uint8Array(entry.size);
  let written = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    if (written + chunk.length > out.length)
      throw zipError(
        'zip-size-mismatch',
        `ZIP entry ${entry.name} inflates to more than its declared ${entry.size} bytes`,
      );
    out.set(chunk, written);
    written += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let at = 0; at < data.length && !ended; at += FEED_BYTES)
      inflater.push(data.subarray(at, at + FEED_BYTES), at + FEED_BYTES >= data.length);
    if (data.length === 0) inflater.push(data, true);
  } catch (error) {
    if (error instanceof ReefError) throw error;
    throw zipError(
      'zip-malformed',
      `ZIP entry ${entry.name} is damaged: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (written !== entry.size)
    throw zipError(
      'zip-size-mismatch',
      `ZIP entry ${entry.name} inflates to ${written} bytes, not its declared ${entry.size}`,
    );
  return checkCrc(out, entry);
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Damaged deflate data can inflate to the right length with wrong bytes: the CRC says so. */
function checkCrc(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  if ((c ^ -1) >>> 0 !== entry.crc)
    throw zipError('zip-malformed', `ZIP entry ${entry.name} is damaged (CRC mismatch)`);
  return bytes;
}

/** Every file of a small archive (directories skipped), within `limits`. */
export function unzipBounded(zip: Uint8Array, limits: ZipLimits): Record<string, Uint8Array> {
  const budget = new ZipBudget(limits.maxTotalBytes);
  const files: Record<string, Uint8Array> = {};
  for (const entry of listZip(zip, limits)) {
    if (entry.name.endsWith('/')) continue;
    files[entry.name] = readZipEntry(zip, entry, budget);
  }
  return files;
}
