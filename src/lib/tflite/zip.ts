import { unzipSync } from 'fflate';

/** Files bigger than this in an appended ZIP are skipped: label files are kilobytes. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const EOCD_SIGNATURE = 0x06054b50;

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
  // The EOCD is 22 bytes plus a comment of at most 65535 bytes.
  const lowest = Math.max(notBefore, bytes.length - 22 - 65535);
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (u32(bytes, at) !== EOCD_SIGNATURE) continue;
    const entries = u16(bytes, at + 10);
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

/** Unpacks a ZIP, skipping oversized members; throws on a damaged archive. */
export function unzipFiles(zip: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(zip, { filter: (file) => file.originalSize <= MAX_FILE_BYTES && file.size <= MAX_FILE_BYTES });
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
