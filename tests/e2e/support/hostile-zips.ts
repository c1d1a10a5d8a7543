/**
 * Hostile dataset ZIPs, generated (never stored): a deflate bomb whose central directory points
 * many entries at one member, a manifest with 100,000 samples naming one image, 50,000 classes, and
 * a large honest dataset (for cancelling). Manifests follow src/lib/store/dataset-zip.ts; the
 * archive tricks are tests/support/hostile-zip.ts's.
 */
import { zipSync, type Zippable } from 'fflate';
import { datasetManifest } from '../../support/hostile-datasets.ts';
import { repeatedDeflate, sharedMemberZip, storedMember } from '../../support/hostile-zip.ts';

/** Classes named as the Train page shows them ("class 0"), samples as BMP. */
function manifest(classes: number, samples: { file: string; class: number }[]): Uint8Array {
  return datasetManifest(classes, samples, { className: 'class ', type: 'image/bmp' });
}

/** A w×h 24-bit BMP whose pixels depend on `seed` (so every image is distinct). */
export function tinyBmp(seed: number, w = 8, h = 8): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4;
  const size = 54 + row * h;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, w, true);
  view.setInt32(22, h, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, row * h, true);
  for (let i = 54; i < size; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

/**
 * A ZIP bomb of about 100 KB: one deflated member of 100 MiB of zeros, and 52 central-directory
 * entries (samples) that all point at it: 5.2 GB when every entry is inflated. With `declaredBytes`
 * the headers lie about the inflated size (e.g. 1 KiB), so only counting while inflating catches it.
 */
export function overlapBombZip(declaredBytes = 100 * 1024 * 1024): Uint8Array {
  const samples = Array.from({ length: 52 }, (_, i) => ({ file: `images/0/${i}.bmp`, class: 0 }));
  const zeros = repeatedDeflate(new Uint8Array(1024 * 1024), 100);
  return sharedMemberZip(
    [storedMember('manifest.json', manifest(1, samples))],
    { name: 'images/0/0.bmp', data: zeros, method: 8, size: declaredBytes },
    samples.map((s) => s.file),
  );
}

/** A manifest of 100,000 samples that all name the one image in the ZIP. */
export function manySamplesZip(count = 100_000): Uint8Array {
  const samples = Array.from({ length: count }, (_, i) => ({ file: 'images/0/0.bmp', class: i % 2 }));
  return zipSync({ 'manifest.json': manifest(2, samples), 'images/0/0.bmp': [tinyBmp(0), { level: 0 }] });
}

/** 50,000 classes, two samples. */
export function manyClassesZip(count = 50_000): Uint8Array {
  return zipSync({
    'manifest.json': manifest(count, [
      { file: 'images/0/0.bmp', class: 0 },
      { file: 'images/1/1.bmp', class: 1 },
    ]),
    'images/0/0.bmp': [tinyBmp(0), { level: 0 }],
    'images/1/1.bmp': [tinyBmp(1), { level: 0 }],
  });
}

/** An honest dataset of `count` distinct small images in two classes: slow enough to cancel. */
export function largeHonestZip(count: number): Uint8Array {
  const files: Zippable = {};
  const samples: { file: string; class: number }[] = [];
  for (let i = 0; i < count; i++) {
    const file = `images/${i % 2}/${i}.bmp`;
    files[file] = [tinyBmp(i, 32, 32), { level: 0 }];
    samples.push({ file, class: i % 2 });
  }
  files['manifest.json'] = manifest(2, samples);
  return zipSync(files);
}
