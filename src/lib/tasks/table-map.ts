/**
 * RGB bytes (0..255, interleaved) → model input elements through a pixel table (pixel-table.ts),
 * one loop per element type. A single loop writing the `PixelTable` union sees three array kinds
 * over a session and V8 then compiles its loads and stores polymorphic; these stay monomorphic.
 */
import type { PixelTable } from './pixel-table.ts';

/** True when the table maps every byte to itself (uint8 models fed raw pixels): nothing to map. */
export function isIdentityTable(table: PixelTable): table is Uint8Array {
  if (!(table instanceof Uint8Array)) return false;
  for (let i = 0; i < table.length; i++) if (table[i] !== (i & 255)) return false;
  return true;
}

function mapUint8(bytes: Uint8Array, table: Uint8Array, out: Uint8Array, n: number): void {
  for (let i = 0; i < n; i += 3) {
    out[i] = table[bytes[i]!]!;
    out[i + 1] = table[256 + bytes[i + 1]!]!;
    out[i + 2] = table[512 + bytes[i + 2]!]!;
  }
}

function mapInt8(bytes: Uint8Array, table: Int8Array, out: Int8Array, n: number): void {
  for (let i = 0; i < n; i += 3) {
    out[i] = table[bytes[i]!]!;
    out[i + 1] = table[256 + bytes[i + 1]!]!;
    out[i + 2] = table[512 + bytes[i + 2]!]!;
  }
}

function mapFloat32(bytes: Uint8Array, table: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i += 3) {
    out[i] = table[bytes[i]!]!;
    out[i + 1] = table[256 + bytes[i + 1]!]!;
    out[i + 2] = table[512 + bytes[i + 2]!]!;
  }
}

/**
 * `out[i] = table[channel × 256 + bytes[i]]` for the first `n` elements (a multiple of 3). `bytes`
 * may be `out` itself for a Uint8Array table (mapped in place).
 */
export function mapRgbBytes(bytes: Uint8Array, table: PixelTable, out: PixelTable, n: number): void {
  if (table instanceof Uint8Array) mapUint8(bytes, table, out as Uint8Array, n);
  else if (table instanceof Int8Array) mapInt8(bytes, table, out as Int8Array, n);
  else mapFloat32(bytes, table, out as Float32Array, n);
}
