/** A sample is stored only when its bytes are a raster image, under the type the bytes show. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { DatasetStore, displayImageType, openReefDb, sniffImageType } from '../../../src/lib/store/index.ts';
import { readFixture } from '../../support/fixtures.ts';

const HTML = new TextEncoder().encode('<!doctype html><script>alert(document.domain)</script>');

async function freshStore() {
  const store = new DatasetStore(await openReefDb(`sample-images-${Math.random()}`));
  const dataset = await store.createDataset('d');
  const cls = await store.addClass(dataset.id, 'c');
  return { store, dataset, cls };
}

describe('sample images', () => {
  it('recognises the raster formats by their first bytes, and nothing else', async () => {
    expect(sniffImageType(await readFixture('cat.bmp'))).toBe('image/bmp');
    expect(sniffImageType(await readFixture('pets.jpg'))).toBe('image/jpeg');
    expect(sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBe('image/png');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('GIF89a'))).toBe('image/gif');
    expect(sniffImageType(HTML)).toBeUndefined();
    expect(sniffImageType(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WAVE'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array(0))).toBeUndefined();
  });

  it('refuses HTML dressed as a PNG, and stores a real image under the type its bytes show', async () => {
    const { store, dataset, cls } = await freshStore();
    const html = new Blob([HTML], { type: 'image/png' });
    const refused = await store
      .addSamples(dataset.id, [{ classId: cls.id, image: html, source: 'file' }])
      .catch((e) => e);
    expect(refused).toBeInstanceOf(ReefError);
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'not-an-image' });
    expect((refused as Error).message).toBe('sample 1 is not a PNG, JPEG, GIF, BMP or WebP image');
    expect(await store.listSamples(dataset.id)).toEqual([]);

    const bmp = new Blob([(await readFixture('cat.bmp')).buffer as ArrayBuffer], { type: 'text/html' });
    const [stored] = await store.addSamples(dataset.id, [{ classId: cls.id, image: bmp, source: 'file' }]);
    expect(stored!.image.type).toBe('image/bmp');
    const [read] = await store.listSamples(dataset.id);
    expect(read!.image.type).toBe('image/bmp');
    expect(read!.image.size).toBe(bmp.size);
  });

  it('refuses a restored snapshot with a sample that is not an image, storing nothing', async () => {
    const { store, dataset } = await freshStore();
    const snapshot = await store.snapshot(dataset.id);
    const before = (await store.listDatasets()).length;
    const bad = {
      ...snapshot,
      classes: [{ id: 'class:0', datasetId: 'x', name: 'c', order: 0, createdAt: 0 }],
      samples: [
        {
          id: 'sample:0',
          datasetId: 'x',
          classId: 'class:0',
          image: new Blob([HTML], { type: 'text/html' }),
          source: 'import' as const,
          createdAt: 0,
          seq: 0,
        },
      ],
    };
    await expect(store.restore(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'not-an-image' });
    expect((await store.listDatasets()).length).toBe(before);
  });

  it('shows a stored sample only under a raster image type', () => {
    expect(displayImageType('image/jpeg')).toBe('image/jpeg');
    expect(displayImageType('text/html')).toBe('image/png');
    expect(displayImageType('image/svg+xml')).toBe('image/png');
    expect(displayImageType('')).toBe('image/png');
  });
});
