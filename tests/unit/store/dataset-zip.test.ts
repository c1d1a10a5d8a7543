import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { DATASET_LIMITS, importDatasetZip } from '../../../src/lib/store/index.ts';
import {
  TINY_PNG,
  datasetManifest,
  datasetOverlapBomb,
  datasetSizeLieBomb,
  honestDataset,
  manyClassesDataset,
  sharedImageDataset,
} from '../../support/hostile-datasets.ts';

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ReefError);
    return (error as ReefError).reason;
  }
  return 'no error';
}

describe('importDatasetZip on hostile archives', () => {
  it('refuses 100,000 samples naming one image at once, from the manifest', async () => {
    const t0 = Date.now();
    expect(await reasonOf(importDatasetZip(sharedImageDataset(100_000)))).toBe('dataset-limit');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('refuses samples that share an image even under the sample limit', async () => {
    expect(await reasonOf(importDatasetZip(sharedImageDataset(10)))).toBe('bad-manifest');
  });

  it('refuses 50,000 classes with the limit in the message', async () => {
    await expect(importDatasetZip(manyClassesDataset(50_000))).rejects.toThrow(`at most ${DATASET_LIMITS.maxClasses}`);
  });

  it('stops a 1 KiB-declared image that inflates to 100 MiB', async () => {
    expect(await reasonOf(importDatasetZip(datasetSizeLieBomb(100)))).toBe('zip-size-mismatch');
  });

  it('refuses overlapping entries', async () => {
    expect(await reasonOf(importDatasetZip(datasetOverlapBomb()))).toBe('zip-overlap');
  });

  it('refuses a sample that is not an image (HTML)', async () => {
    const html = strToU8('<html><script>alert(1)</script></html>');
    expect(await reasonOf(importDatasetZip(honestDataset(2, (i) => (i === 1 ? html : TINY_PNG))))).toBe('not-an-image');
  });

  it('checks manifest field types', async () => {
    const bad = JSON.parse(new TextDecoder().decode(datasetManifest(1, [{ file: 'a.png', class: 0 }])));
    bad.samples[0].class = '0';
    const zip = zipSync({ 'manifest.json': strToU8(JSON.stringify(bad)), 'a.png': TINY_PNG });
    expect(await reasonOf(importDatasetZip(zip))).toBe('bad-manifest');
    bad.samples[0].class = 0;
    bad.samples[0].source = 'elsewhere';
    const zip2 = zipSync({ 'manifest.json': strToU8(JSON.stringify(bad)), 'a.png': TINY_PNG });
    expect(await reasonOf(importDatasetZip(zip2))).toBe('bad-manifest');
  });

  it('reports progress per image and stops when cancelled', async () => {
    const zip = honestDataset(300);
    const seen: [number, number][] = [];
    const snapshot = await importDatasetZip(zip, { onProgress: (done, total) => seen.push([done, total]) });
    expect(snapshot.samples).toHaveLength(300);
    expect(snapshot.samples[0]!.image.type).toBe('image/png');
    expect(seen).toHaveLength(300);
    expect(seen[299]).toEqual([300, 300]);

    const controller = new AbortController();
    const progress: number[] = [];
    const cancelled = importDatasetZip(zip, {
      signal: controller.signal,
      onProgress: (done) => {
        progress.push(done);
        if (done === 100) controller.abort();
      },
    });
    expect(await reasonOf(cancelled)).toBe('cancelled');
    expect(Math.max(...progress)).toBeLessThan(300);
  });
});
