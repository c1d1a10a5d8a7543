/** The training worker's API in Node: IndexedDB (fake), LiteRT.js (Node loader), tfjs cpu. */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { buildSmallCnn, saveTfjsModel, tf } from '../../../src/lib/learn/index.ts';
import { WasmEngine } from '../../../src/lib/runtime/index.ts';
import { DatasetStore, importDatasetZip, openReefDb } from '../../../src/lib/store/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { TrainingApi, type TrainingEvent } from '../../../src/worker/training-api.ts';
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
    expect(importDatasetZip(zip).samples.length).toBe(4);
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
