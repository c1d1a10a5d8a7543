/**
 * The one image shape tasks work on: 8-bit RGBA, row-major, top-down (what ImageData holds and what
 * every decoder here produces), so page, worker, kiosk and CLI share the same preprocessing.
 */
import { ReefError } from '../errors.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, R G B A. */
  data: Uint8Array | Uint8ClampedArray;
}

export function checkImage(image: RgbaImage): void {
  if (!(image.width > 0 && image.height > 0) || image.data.length !== image.width * image.height * 4) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      `image: ${image.width}x${image.height} needs ${image.width * image.height * 4} RGBA bytes, got ${image.data.length}`,
      { reason: 'bad-image-size' },
    );
  }
}

/** ITU-R BT.601 luma, the weighting MNIST-style grayscale models were trained on. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}
