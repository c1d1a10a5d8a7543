/**
 * Generators of hostile dataset ZIPs (manifests that lie about counts or share images, and
 * archive bombs), small on disk; see hostile-zip.ts for the archive tricks.
 */
import { strToU8, zipSync } from 'fflate';
import { overlapBomb, rawZip, repeatedDeflate, storedMember, type RawMember } from './hostile-zip.ts';

/** A 1×1 PNG, enough to pass an image-signature check. */
export const TINY_PNG = new Uint8Array(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
);

/**
 * A dataset ZIP's manifest (src/lib/store/dataset-zip.ts): `classes` named `${className}${i}`,
 * samples of `type` numbered in order.
 */
export function datasetManifest(
  classes: number,
  samples: { file: string; class: number }[],
  { className = 'c', type = 'image/png' } = {},
): Uint8Array {
  return strToU8(
    JSON.stringify({
      format: 'reef-dataset',
      version: 1,
      name: 'hostile',
      createdAt: 0,
      updatedAt: 0,
      nextSeq: samples.length,
      classes: Array.from({ length: classes }, (_, i) => ({ name: `${className}${i}`, createdAt: 0 })),
      samples: samples.map((s, i) => ({ ...s, type, source: 'file', createdAt: 0, seq: i })),
    }),
  );
}

/** `count` samples that all name one image entry. */
export function sharedImageDataset(count = 100_000): Uint8Array {
  const samples = Array.from({ length: count }, () => ({ file: 'images/0/0.png', class: 0 }));
  return zipSync({ 'manifest.json': datasetManifest(1, samples), 'images/0/0.png': [TINY_PNG, { level: 0 }] });
}

export function manyClassesDataset(classes = 50_000): Uint8Array {
  return zipSync({
    'manifest.json': datasetManifest(classes, [{ file: 'images/0/0.png', class: 0 }]),
    'images/0/0.png': [TINY_PNG, { level: 0 }],
  });
}

/** Well-formed datasets of `count` distinct images, one class; `image` gives each sample's bytes. */
export function honestDataset(count: number, image: (i: number) => Uint8Array = () => TINY_PNG): Uint8Array {
  const samples = Array.from({ length: count }, (_, i) => ({ file: `images/0/${i}.png`, class: 0 }));
  const members: RawMember[] = [storedMember('manifest.json', datasetManifest(1, samples))];
  for (let i = 0; i < count; i++) members.push(storedMember(samples[i]!.file, image(i)));
  return rawZip(members);
}

/** A ~100 KB dataset whose one image claims 1 KiB but inflates to `inflatedMiB` MiB (5 GB as filed). */
export function datasetSizeLieBomb(inflatedMiB = 100): Uint8Array {
  const samples = [{ file: 'images/0/0.png', class: 0 }];
  const unit = new Uint8Array(1024 * 1024);
  unit.set(TINY_PNG);
  return rawZip([
    storedMember('manifest.json', datasetManifest(1, samples)),
    { name: 'images/0/0.png', data: repeatedDeflate(unit, inflatedMiB), method: 8, size: 1024 },
  ]);
}

/** The overlap bomb as a dataset: manifest first, then 60 entries over one member. */
export function datasetOverlapBomb(): Uint8Array {
  return overlapBomb(8, 60);
}
