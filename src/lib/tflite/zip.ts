import { eocdCandidates, unzipBounded, type ZipLimits } from './bounded-zip.ts';

/**
 * What a ZIP appended to a model may hold: label files are kilobytes, so these leave room for
 * any real associated file while keeping a hostile one far below the memory a page has.
 */
export const APPENDED_ZIP_LIMITS: ZipLimits = {
  maxEntries: 256,
  maxEntryBytes: 16 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
};

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0
  );
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}

export interface AppendedZip {
  /** First byte of the archive (its first local file header). */
  start: number;
  /** What the archive's internal offsets count from: 0 when written as absolute file offsets
   * (Python's zipfile appending to the model, as the TFLite metadata populator does), else `start`. */
  base: number;
}

/**
 * The ZIP archive appended to `bytes`, found from its end-of-central-directory record; null when
 * the file does not end with one at or after `notBefore`.
 */
export function findAppendedZip(bytes: Uint8Array, notBefore: number): AppendedZip | null {
  for (const at of eocdCandidates(bytes, notBefore)) {
    const entries = Math.min(u16(bytes, at + 10), APPENDED_ZIP_LIMITS.maxEntries);
    const cdSize = u32(bytes, at + 12);
    const cdOffset = u32(bytes, at + 16);
    const cdStart = at - cdSize;
    if (cdStart < notBefore) continue;
    // Offsets relative to the archive (a ZIP made on its own, then appended).
    const relativeStart = cdStart - cdOffset;
    const base = cdOffset === cdStart ? 0 : relativeStart;
    if (base < 0) continue;
    // The archive starts at its lowest local header.
    let start = cdStart;
    let entry = cdStart;
    for (let i = 0; i < entries && entry + 46 <= at; i++) {
      if (u32(bytes, entry) !== 0x02014b50) break;
      start = Math.min(start, base + u32(bytes, entry + 42));
      entry += 46 + u16(bytes, entry + 28) + u16(bytes, entry + 30) + u16(bytes, entry + 32);
    }
    if (start >= notBefore && u32(bytes, start) === 0x04034b50) return { start, base };
  }
  return null;
}

/** Unpacks an appended ZIP within APPENDED_ZIP_LIMITS; throws a typed error on a damaged or hostile archive. */
export function unzipFiles(zip: Uint8Array): Record<string, Uint8Array> {
  return unzipBounded(zip, APPENDED_ZIP_LIMITS);
}

/**
 * Files of the ZIP appended to `bytes` (after `notBefore`), within APPENDED_ZIP_LIMITS; empty when
 * there is none. Throws a typed error on a damaged or hostile archive.
 */
export function appendedZipFiles(bytes: Uint8Array, notBefore = 0): Record<string, Uint8Array> {
  const zip = findAppendedZip(bytes, notBefore);
  return zip ? unzipFiles(bytes.subarray(zip.base)) : {};
}

/** Label lines of a text file: CRLF tolerated, stops at the first blank line (notes may follow). */
export function parseLabels(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  const labels: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') break;
    labels.push(line);
  }
  return labels;
}
