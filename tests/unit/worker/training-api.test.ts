/** The training worker's API in Node: IndexedDB (fake), LiteRT.js (Node loader), tfjs cpu. */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { buildSmallCnn, saveTfjsModel, tf } from '../../../src/lib/learn/index.ts';
import { WasmEngine } from '../../../src/lib/runtime/index.ts';
import { DatasetStore, importDatasetZip, openReefDb } from '../../../src/lib/store/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { TrainingApi, type ImportProgress, type TrainingEvent } from '../../../src/worker/training-api.ts';
import { readFixture } from '../../support/fixtures.ts';

vi.setConfig({ testTimeout: 180_000 });

async function dataset(dbName: string): Promise<string> {
  const store = new DatasetStore(await openReefDb(dbName));
  const d = await store.createDataset('pets');
  const files = {
    cat: ['cat.bmp', 'imprinting_cat_train_0.bmp'],
    dog: ['imprinting_dog_train_0.bmp', 'pets.jpg'],
  } as const;
  for (const [name, list] of Object.entries(files)) {
    const c = await store.addClass(d.id, name);
    for (const f of list) {
      const type = f.endsWith('.jpg') ? 'image/jpeg' : 'image/bmp';
      await store.addSample(d.id, {
        classId: c.id,
        image: new Blob([(await readFixture(f)).buffer as ArrayBuffer], { type }),
        source: 'file',
      });
    }
  }
  return d.id;
}

function api(dbName: string): TrainingApi {
  return new TrainingApi({
    backends: ['cpu'],
    dbName,
    engine: () => new WasmEngine(nodeLiteRtLoader),
    decode: async (blob) => decodeImageFile(new Uint8Array(await blob.arrayBuffer())),
  });
}

describe('TrainingApi', () => {
  it('trains from a stored dataset, caches embeddings, and exports the composed model, labels, tfjs head and ZIP', async () => {
    const dbName = `train-${Math.random()}`;
    const id = await dataset(dbName);
    const training = api(dbName);
    expect(await training.prepare()).toBe('cpu');
    const extractor = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite');
    const twin = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    const events: TrainingEvent[] = [];
    const out = await training.trainTransfer(
      { datasetId: id, extractor, embedWith: twin, epochs: 10, validationSplit: 0 },
      (e) => events.push(e),
    );
    expect(out.classes).toEqual(['cat', 'dog']);
    expect(out.train.accuracy).toBe(1);
    expect(new TextDecoder().decode(out.labelsTxt)).toBe('cat\ndog\n');
    expect(readModel(out.model).labels).toEqual(['cat', 'dog']);
    // The CPU export: the same head on the CPU twin, every op a builtin.
    const cpu = readModel(out.cpuModel!);
    expect(cpu.operatorCodes.every((c) => c.customCode === null)).toBe(true);
    expect(cpu.labels).toEqual(['cat', 'dog']);
    expect(JSON.parse(out.tfjs.modelJson).format).toBe('layers-model');
    expect(events.some((e) => e.kind === 'epoch')).toBe(true);
    // Second run: embeddings come from the IndexedDB cache (same extractor), imprinting is instant.
    const again = await training.trainTransfer({ datasetId: id, extractor, embedWith: twin, method: 'imprint' });
    expect(again.classes).toEqual(['cat', 'dog']);
    const db = await openReefDb(dbName);
    expect(await db.count('embeddings')).toBe(4);
    db.close();
    // Embeddings from elsewhere (the TPU path): no extractor runs in the training worker.
    const fromTpu = await training.trainTransfer({
      datasetId: id,
      extractor,
      embeddings: new Float32Array(4 * 1024).map((_, i) => (i < 2048 ? (i % 7) / 7 : (i % 5) / 5)),
      method: 'imprint',
      validationSplit: 0,
    });
    expect(fromTpu.train.accuracy).toBe(1);
    await expect(
      training.trainTransfer({ datasetId: id, extractor, embeddings: new Float32Array(10), method: 'imprint' }),
    ).rejects.toMatchObject({ reason: 'bad-embedding-shape' });
    const zip = await training.exportDataset(id);
    expect((await importDatasetZip(zip)).samples.length).toBe(4);
  });

  it('imports a dataset ZIP with progress as a new dataset, and refuses or cancels without storing anything', async () => {
    const dbName = `import-${Math.random()}`;
    const id = await dataset(dbName);
    const training = api(dbName);
    expect(training.ping()).toBe(true);
    const zip = new Blob([(await training.exportDataset(id)) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
    const store = new DatasetStore(await openReefDb(dbName));

    const seen: ImportProgress[] = [];
    const imported = await training.importDataset(zip, (p) => seen.push(p));
    expect(imported).toMatchObject({ name: 'pets', classes: 2, samples: 4 });
    expect(imported.datasetId).not.toBe(id);
    expect((await store.listClasses(imported.datasetId)).map((c) => c.name)).toEqual(['cat', 'dog']);
    const samples = await store.listSamples(imported.datasetId);
    expect(samples.map((s) => s.image.type)).toEqual(['image/bmp', 'image/bmp', 'image/bmp', 'image/jpeg']);
    expect(seen[0]).toEqual({ phase: 'reading', done: 0, total: zip.size });
    expect(seen.filter((p) => p.phase === 'checking').map((p) => p.done)).toEqual([1, 2, 3, 4]);
    expect(seen.at(-1)?.phase).toBe('saving');

    const before = (await store.listDatasets()).length;
    const notZip = new Blob([new TextEncoder().encode('<!doctype html><p>not a zip</p>')]);
    await expect(training.importDataset(notZip)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // An image header but no image: the decode check refuses it.
    const fake = await store.createDataset('fake');
    const fakeClass = await store.addClass(fake.id, 'c');
    // A BMP header for 8×8 pixels, and no pixels.
    const header = new Uint8Array(54);
    const view = new DataView(header.buffer);
    header.set([0x42, 0x4d]);
    view.setUint32(2, 54 + 8 * 8 * 3, true);
    view.setUint32(10, 54, true);
    view.setUint32(14, 40, true);
    view.setInt32(18, 8, true);
    view.setInt32(22, 8, true);
    view.setUint16(26, 1, true);
    view.setUint16(28, 24, true);
    const garbage = new Blob([header], { type: 'image/bmp' });
    await store.addSample(fake.id, { classId: fakeClass.id, image: garbage, source: 'file' });
    const fakeZip = new Blob([(await training.exportDataset(fake.id)) as Uint8Array<ArrayBuffer>]);
    await store.deleteDataset(fake.id);
    await expect(training.importDataset(fakeZip)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'not-an-image',
      message: 'sample 1 of 1 is not an image this browser can read',
    });
    // A PNG header claiming 20000×20000: refused from the header, before anything decodes it.
    const huge = new Uint8Array(33);
    huge.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(huge.buffer).setUint32(16, 20_000);
    new DataView(huge.buffer).setUint32(20, 20_000);
    huge.set([8, 2, 0, 0, 0], 24);
    const big = await store.createDataset('big');
    const bigClass = await store.addClass(big.id, 'c');
    await store.addSample(big.id, {
      classId: bigClass.id,
      image: new Blob([huge], { type: 'image/png' }),
      source: 'file',
    });
    const bigZip = new Blob([(await training.exportDataset(big.id)) as Uint8Array<ArrayBuffer>]);
    await store.deleteDataset(big.id);
    await expect(training.importDataset(bigZip)).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      reason: 'image-too-large',
      message: expect.stringMatching(/^sample 1 of 1: 20000×20000 is 400,000,000 pixels/),
    });
    // Cancelled before the file is even read: the import rejects and stores nothing.
    const cancelled = training.importDataset(zip);
    training.cancelImport();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await store.listDatasets()).length).toBe(before);
  });

  it('trains on when the disk is full: embeddings are not cached, the model is still made', async () => {
    const dbName = `full-${Math.random()}`;
    const id = await dataset(dbName);
    const training = api(dbName);
    const twin = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    const put = IDBObjectStore.prototype.put;
    // Chromium's quota error: empty message, recognised by name.
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'embeddings') throw new DOMException('', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      const out = await training.trainTransfer({ datasetId: id, extractor: twin, method: 'imprint' });
      expect(out.classes).toEqual(['cat', 'dog']);
      expect(readModel(out.model).labels).toEqual(['cat', 'dog']);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    const db = await openReefDb(dbName);
    expect(await db.count('embeddings')).toBe(0);
    db.close();
  });

  it('quantizes a tfjs model on the dataset and cancels a running job', async () => {
    const dbName = `quant-${Math.random()}`;
    const id = await dataset(dbName);
    const training = api(dbName);
    await training.prepare();
    const model = buildSmallCnn({ numClasses: 2, size: 16, blocks: 2, width: 4 });
    const tfjs = await saveTfjsModel(model);
    model.dispose();
    const q = await training.quantize({ tfjs, datasetId: id });
    expect(q.compatibility.compatible).toBe(true);

    const job = training.trainOffline({ datasetId: id, size: 16, epochs: 50 }, (e) => {
      if (e.kind === 'epoch' && e.progress.epoch === 1) training.cancel();
    });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBeLessThan(50);
  });
});
