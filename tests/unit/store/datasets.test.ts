import 'fake-indexeddb/auto';
import { strFromU8, unzipSync, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  DB_VERSION,
  DatasetStore,
  IdbEmbeddingCache,
  exportDatasetZip,
  importDatasetZip,
  openReefDb,
  requestPersistentStorage,
  storageReport,
} from '../../../src/lib/store/index.ts';
import { readFixture } from '../../support/fixtures.ts';

let dbCount = 0;
const freshName = () => `reef-test-${++dbCount}-${Math.random()}`;

async function imageBlob(name: 'cat.bmp' | 'bird.bmp' | 'pets.jpg', type: string): Promise<Blob> {
  return new Blob([(await readFixture(name)).buffer as ArrayBuffer], { type });
}

async function fillDataset(store: DatasetStore) {
  const dataset = await store.createDataset('pets');
  const cat = await store.addClass(dataset.id, 'cat');
  const bird = await store.addClass(dataset.id, 'bird');
  await store.addSamples(dataset.id, [
    { classId: cat.id, image: await imageBlob('cat.bmp', 'image/bmp'), source: 'file', createdAt: 1000 },
    { classId: bird.id, image: await imageBlob('bird.bmp', 'image/bmp'), source: 'camera', createdAt: 1001 },
    { classId: cat.id, image: await imageBlob('pets.jpg', 'image/jpeg'), source: 'file', createdAt: 1002 },
  ]);
  return { dataset, cat, bird };
}

async function expectReefError(promise: Promise<unknown> | (() => unknown), reason: string) {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected a ReefError with reason ${reason}`);
}

describe('dataset store', () => {
  it('keeps classes and samples across a close and reopen of the database', async () => {
    const name = freshName();
    let db = await openReefDb(name);
    expect(db.version).toBe(DB_VERSION);
    const { dataset, cat, bird } = await fillDataset(new DatasetStore(db, () => 5000));
    db.close();

    db = await openReefDb(name);
    const store = new DatasetStore(db);
    expect((await store.listDatasets()).map((d) => d.name)).toEqual(['pets']);
    expect((await store.listClasses(dataset.id)).map((c) => c.name)).toEqual(['cat', 'bird']);
    const samples = await store.listSamples(dataset.id);
    expect(samples.map((s) => [s.classId, s.source, s.createdAt, s.seq])).toEqual([
      [cat.id, 'file', 1000, 0],
      [bird.id, 'camera', 1001, 1],
      [cat.id, 'file', 1002, 2],
    ]);
    const stored = new Uint8Array(await samples[1]!.image.arrayBuffer());
    expect(stored).toEqual(await readFixture('bird.bmp'));
    expect(samples[2]!.image.type).toBe('image/jpeg');
    expect([...(await store.countSamples(dataset.id)).values()]).toEqual([2, 1]);
    db.close();
  });

  it('deleting a class removes its samples and their cached embeddings', async () => {
    const db = await openReefDb(freshName());
    const store = new DatasetStore(db);
    const cache = new IdbEmbeddingCache(db);
    const { dataset, cat, bird } = await fillDataset(store);
    const catSamples = await store.listSamples(dataset.id, cat.id);
    expect(catSamples).toHaveLength(2);
    await cache.put(catSamples[0]!.id, 'ext', new Float32Array([1, 2, 3]));
    expect(await cache.get(catSamples[0]!.id, 'ext')).toEqual(new Float32Array([1, 2, 3]));
    expect(await cache.get(catSamples[0]!.id, 'other')).toBeUndefined();

    await store.deleteClass(cat.id);
    expect((await store.listSamples(dataset.id)).map((s) => s.classId)).toEqual([bird.id]);
    expect(await cache.get(catSamples[0]!.id, 'ext')).toBeUndefined();
    await store.deleteDataset(dataset.id);
    expect(await store.listDatasets()).toEqual([]);
    db.close();
  });

  it('rejects bad input with typed errors', async () => {
    const db = await openReefDb(freshName());
    const store = new DatasetStore(db);
    await expectReefError(store.createDataset('  '), 'empty-name');
    const { dataset } = await fillDataset(store);
    await expectReefError(store.addClass(dataset.id, 'cat'), 'duplicate-class');
    await expectReefError(store.addClass('nope', 'dog'), 'unknown-dataset');
    await expectReefError(
      store.addSample(dataset.id, { classId: 'nope', image: new Blob([]), source: 'file' }),
      'unknown-class',
    );
    db.close();
  });
});

describe('dataset ZIP', () => {
  it('round-trips byte-identically through export, import and a fresh database', async () => {
    const dbA = await openReefDb(freshName());
    const storeA = new DatasetStore(dbA);
    const { dataset } = await fillDataset(storeA);
    const zipA = await exportDatasetZip(await storeA.snapshot(dataset.id));

    const files = unzipSync(zipA);
    expect(strFromU8(files['labels.txt']!)).toBe('cat\nbird\n');
    expect(Object.keys(files)).toEqual([
      'manifest.json',
      'labels.txt',
      'images/0/0.bmp',
      'images/1/1.bmp',
      'images/0/2.jpg',
    ]);
    expect(files['images/0/2.jpg']).toEqual(await readFixture('pets.jpg'));

    const dbB = await openReefDb(freshName());
    const storeB = new DatasetStore(dbB);
    const restored = await storeB.restore(await importDatasetZip(zipA));
    expect(restored.id).not.toBe(dataset.id);
    const zipB = await exportDatasetZip(await storeB.snapshot(restored.id));
    expect(zipB.length).toBe(zipA.length);
    expect(Buffer.from(zipB).equals(Buffer.from(zipA))).toBe(true);
    dbA.close();
    dbB.close();
  });

  it('names what is wrong with a bad ZIP', async () => {
    await expect(importDatasetZip(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(ReefError);
    await expectReefError(() => importDatasetZip(new Uint8Array([1, 2, 3, 4])), 'bad-zip');
    await expectReefError(() => importDatasetZip(zipSync({ 'a.txt': strToU8('x') })), 'missing-manifest');
    await expectReefError(
      () => importDatasetZip(zipSync({ 'manifest.json': strToU8('{"format":"other"}') })),
      'not-a-dataset',
    );
    const manifest = {
      format: 'reef-dataset',
      version: 1,
      name: 'x',
      createdAt: 0,
      updatedAt: 0,
      nextSeq: 1,
      classes: [{ name: 'a', createdAt: 0 }],
      samples: [{ file: 'images/0/0.png', class: 0, type: 'image/png', source: 'file', createdAt: 0, seq: 0 }],
    };
    await expectReefError(
      () => importDatasetZip(zipSync({ 'manifest.json': strToU8(JSON.stringify(manifest)) })),
      'missing-file',
    );
    await expectReefError(
      () => importDatasetZip(zipSync({ 'manifest.json': strToU8(JSON.stringify({ ...manifest, version: 9 })) })),
      'newer-format',
    );
  });
});

describe('storage durability', () => {
  it('asks for persistence only when not yet persistent and reports quota', async () => {
    let asked = 0;
    const manager = {
      persisted: async () => asked > 0,
      persist: async () => {
        asked++;
        return true;
      },
      estimate: async () => ({ usage: 250, quota: 1000 }),
    };
    expect(await requestPersistentStorage(manager)).toBe(true);
    expect(await requestPersistentStorage(manager)).toBe(true);
    expect(asked).toBe(1);
    expect(await storageReport(manager)).toEqual({
      persisted: true,
      usageBytes: 250,
      quotaBytes: 1000,
      fraction: 0.25,
    });
    // In a worker there is no persist(): the answer is "not persistent", never a throw.
    expect(await requestPersistentStorage({ persisted: async () => false, estimate: manager.estimate })).toBe(false);
  });
});
