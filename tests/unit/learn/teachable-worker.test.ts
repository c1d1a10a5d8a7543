/**
 * The training worker's Teachable Machine import in Node (fake IndexedDB, LiteRT.js WASM): a
 * TM-shaped export (a model nested in a Sequential, metadata with labels and image size) is
 * quantized on the stored dataset's samples; the result carries the labels, passes the Edge TPU
 * check and reports the agreement measured in WASM. A dataset without samples is refused.
 */
import 'fake-indexeddb/auto';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { buildSmallCnn, saveTfjsModel, tf } from '../../../src/lib/learn/index.ts';
import { WasmEngine } from '../../../src/lib/runtime/index.ts';
import { DatasetStore, openReefDb } from '../../../src/lib/store/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { TrainingApi } from '../../../src/worker/training-api.ts';
import { readFixture } from '../../support/fixtures.ts';

vi.setConfig({ testTimeout: 180_000 });

describe('TrainingApi.importTeachable', () => {
  it('quantizes a TM export on the dataset samples, labels embedded, Edge TPU check, agreement', async () => {
    const dbName = `tm-${Math.random()}`;
    const store = new DatasetStore(await openReefDb(dbName));
    const d = await store.createDataset('pets');
    const c = await store.addClass(d.id, 'any');
    for (const f of ['cat.bmp', 'bird.bmp', 'grace_hopper.bmp', 'imprinting_dog_train_0.bmp'] as const)
      await store.addSample(d.id, {
        classId: c.id,
        image: new Blob([(await readFixture(f)).buffer as ArrayBuffer], { type: 'image/bmp' }),
        source: 'file',
      });
    const empty = await store.createDataset('empty');
    const api = new TrainingApi({
      backends: ['cpu'],
      dbName,
      engine: () => new WasmEngine(nodeLiteRtLoader),
      decode: async (blob) => decodeImageFile(new Uint8Array(await blob.arrayBuffer())),
    });
    await api.prepare('cnn');
    const model = tf.sequential({
      layers: [buildSmallCnn({ numClasses: 2, size: 32, batchNorm: true, blocks: 2, width: 4 })],
    });
    const files = await saveTfjsModel(model);
    model.dispose();
    const zip = zipSync({
      'model.json': strToU8(files.modelJson),
      'weights.bin': files.weights,
      'metadata.json': strToU8(JSON.stringify({ labels: ['mine', 'yours'], imageSize: 32 })),
    });
    const out = await api.importTeachable([{ name: 'tm.zip', bytes: zip }], d.id);
    expect(out.labels).toEqual(['mine', 'yours']);
    expect(out.compatibility.compatible).toBe(true);
    expect(out.agreement.total).toBe(4);
    expect(out.agreement.agree).toBeGreaterThanOrEqual(3);
    expect(readModel(out.model).labels).toEqual(['mine', 'yours']);
    // The CPU download: the same labels, float I/O, measured in WASM on the same samples.
    const cpu = readModel(out.cpuModel);
    expect(cpu.labels).toEqual(['mine', 'yours']);
    expect(cpu.subgraphs[0]!.tensors[cpu.subgraphs[0]!.inputs[0]!]!.dtype).toBe('float32');
    expect(out.cpuAgreement.total).toBe(4);
    expect(out.cpuAgreement.agree).toBeGreaterThanOrEqual(3);
    await expect(api.importTeachable([{ name: 'tm.zip', bytes: zip }], empty.id)).rejects.toMatchObject({
      reason: 'no-calibration-images',
    });
    await expect(
      api.importTeachable([{ name: 'model.json', bytes: strToU8(files.modelJson) }], d.id),
    ).rejects.toMatchObject({ reason: 'not-a-teachable-export' });
  });
});
