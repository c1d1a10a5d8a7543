/**
 * Augmentation applied to images before they are embedded or trained on: random crop (area and
 * position), horizontal flip and brightness. Seeded, so a dataset's augmented copies are
 * reproducible and the embedding cache stays valid.
 */
import { resizeRegion, type RgbaImage } from '../tasks/index.ts';
import { seededRandom } from './dataset.ts';

export interface AugmentOptions {
  /** Smallest crop side as a fraction of the image's shorter side (1 = no crop). */
  minCrop?: number;
  flip?: boolean;
  /** Brightness factor range is 1 ± brightness. */
  brightness?: number;
}

export const DEFAULT_AUGMENT: Required<AugmentOptions> = { minCrop: 0.6, flip: true, brightness: 0.2 };

/** One augmented copy of `image` as a width × height RGBA image. */
export function augmentImage(
  image: RgbaImage,
  width: number,
  height: number,
  random: () => number,
  options: AugmentOptions = DEFAULT_AUGMENT,
): RgbaImage {
  const { minCrop, flip, brightness } = { ...DEFAULT_AUGMENT, ...options };
  const side = Math.min(image.width, image.height) * (minCrop + (1 - minCrop) * random());
  const cw = Math.max(1, Math.round(side));
  const ch = Math.max(1, Math.round(side));
  const x = Math.floor(random() * (image.width - cw + 1));
  const y = Math.floor(random() * (image.height - ch + 1));
  const out = resizeRegion(image, { x, y, width: cw, height: ch }, width, height);
  const factor = 1 + (random() * 2 - 1) * brightness;
  const mirror = flip && random() < 0.5;
  const data = out.data;
  if (mirror)
    for (let row = 0; row < height; row++)
      for (let col = 0; col < width >> 1; col++) {
        const a = (row * width + col) * 4;
        const b = (row * width + (width - 1 - col)) * 4;
        for (let k = 0; k < 3; k++) [data[a + k], data[b + k]] = [data[b + k]!, data[a + k]!];
      }
  if (factor !== 1)
    for (let i = 0; i < data.length; i += 4)
      for (let k = 0; k < 3; k++) data[i + k] = Math.min(255, Math.round(data[i + k]! * factor));
  return out;
}

/** `count` augmented copies from a seed. */
export function augmentMany(
  image: RgbaImage,
  count: number,
  width: number,
  height: number,
  seed: number,
  options?: AugmentOptions,
): RgbaImage[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => augmentImage(image, width, height, random, options));
}

/** Center square crop resized to width × height (no augmentation). */
export function centerCrop(image: RgbaImage, width: number, height: number): RgbaImage {
  const side = Math.min(image.width, image.height);
  return resizeRegion(
    image,
    { x: (image.width - side) >> 1, y: (image.height - side) >> 1, width: side, height: side },
    width,
    height,
  );
}

/** RGB bytes (alpha dropped) of an RGBA image: the layout image models take. */
export function rgbBytes(image: RgbaImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0, j = 0; i < image.data.length; i += 4, j += 3) {
    out[j] = image.data[i]!;
    out[j + 1] = image.data[i + 1]!;
    out[j + 2] = image.data[i + 2]!;
  }
  return out;
}
