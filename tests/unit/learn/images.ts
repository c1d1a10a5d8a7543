/** Fixture images for learn tests, decoded and augmented into small labelled sets. */
import { augmentMany, centerCrop } from '../../../src/lib/learn/augment.ts';
import { decodeBmp, type RgbaImage } from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';

export const CLASS_IMAGES = ['cat.bmp', 'bird.bmp', 'grace_hopper.bmp'] as const;

export async function loadClassImages(): Promise<RgbaImage[]> {
  return Promise.all(CLASS_IMAGES.map(async (name) => decodeBmp(await readFixture(name))));
}

export interface ImageSet {
  images: RgbaImage[];
  labels: Int32Array;
}

/** `perClass` augmented crops of each class image at size × size, from `seed`. */
export function augmentedSet(sources: RgbaImage[], perClass: number, size: number, seed: number): ImageSet {
  const images: RgbaImage[] = [];
  const labels: number[] = [];
  sources.forEach((source, c) => {
    for (const image of augmentMany(source, perClass, size, size, seed * 100 + c)) {
      images.push(image);
      labels.push(c);
    }
  });
  return { images, labels: Int32Array.from(labels) };
}

export { centerCrop };
