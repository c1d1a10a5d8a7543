/**
 * Pixel value → model input element, as a 256-entry table per channel. An RGB pixel after resizing
 * is a whole number 0..255, so the per-element normalise-and-quantise of `encodePixels` becomes one
 * table read; the tables are filled with exactly `encodePixels`' arithmetic, so both give the same
 * bytes.
 */
import { ReefError } from '../errors.ts';
import type { TensorInfo } from '../runtime/index.ts';
import type { Normalization } from './preprocess.ts';

/** The element arrays an image input can be; `channels × 256` entries, channel-major. */
export type PixelTable = Uint8Array | Int8Array | Float32Array;

function perChannel(value: number | readonly number[], c: number): number {
  return typeof value === 'number' ? value : (value[c] ?? value[0] ?? 0);
}

export function pixelTable(input: TensorInfo, channels: number, normalization: Normalization | undefined): PixelTable {
  switch (input.dtype) {
    case 'float32': {
      const norm = normalization ?? { mean: 127.5, std: 127.5 };
      const table = new Float32Array(channels * 256);
      for (let c = 0; c < channels; c++) {
        const mean = perChannel(norm.mean, c);
        const std = perChannel(norm.std, c);
        for (let v = 0; v < 256; v++) table[c * 256 + v] = (v - mean) / std;
      }
      return table;
    }
    case 'uint8':
    case 'int8': {
      const table = input.dtype === 'uint8' ? new Uint8Array(channels * 256) : new Int8Array(channels * 256);
      const [lo, hi] = input.dtype === 'uint8' ? [0, 255] : [-128, 127];
      // Without metadata, Coral's convention: uint8 models take raw pixels, int8 models pixels - 128.
      const quantize = normalization !== undefined && input.scale > 0;
      for (let c = 0; c < channels; c++) {
        const mean = normalization ? perChannel(normalization.mean, c) : 0;
        const std = normalization ? perChannel(normalization.std, c) : 1;
        for (let v = 0; v < 256; v++) {
          const q = quantize ? (v - mean) / std / input.scale + input.zeroPoint : input.dtype === 'uint8' ? v : v - 128;
          table[c * 256 + v] = Math.min(hi, Math.max(lo, Math.round(q)));
        }
      }
      return table;
    }
    default:
      throw new ReefError('UNIMPLEMENTED', `input ${input.name}: ${input.dtype} image inputs are not supported`, {
        reason: 'unsupported-input-type',
      });
  }
}
