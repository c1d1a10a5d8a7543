/**
 * Jobs that embed many images (a training run's embeddings, the imprinting preview) must use one
 * engine throughout: they ask the ladder to finish `auto`'s calibration before they start, never
 * to finish it in the background and move the model mid-job (WASM and GPU vectors would mix).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { EmbeddingJobs } from '../../../src/worker/embedding-jobs.ts';
import { ImprintPreviewJobs } from '../../../src/worker/imprint-preview-jobs.ts';
import { DatasetStore, openReefDb } from '../../../src/lib/store/index.ts';

/** Records the load options, then refuses: the job stops there with that error. */
function recordingEngines() {
  const loads: Record<string, unknown>[] = [];
  return {
    loads,
    load: async (_bytes: Uint8Array, options: Record<string, unknown>) => {
      loads.push(options);
      throw new Error('stop here');
    },
    run: async () => {
      throw new Error('not reached');
    },
    unload: () => true,
    fallBackToWasm: async () => {
      throw new Error('not reached');
    },
  };
}

describe('jobs over many images wait for the whole calibration', () => {
  it('the embedding job loads its extractor with wait', async () => {
    const dbName = `one-engine-${Math.random()}`;
    const store = new DatasetStore(await openReefDb(dbName));
    const dataset = await store.createDataset('empty');
    const engines = recordingEngines();
    const jobs = new EmbeddingJobs(engines as never, { dbName });
    await expect(
      jobs.embedDataset({
        datasetId: dataset.id,
        extractor: new Uint8Array(8),
        cpuTwin: new Uint8Array(8),
        engine: 'auto',
      } as never),
    ).rejects.toThrow('stop here');
    expect(engines.loads).toEqual([expect.objectContaining({ engine: 'auto', wait: true })]);
  });

  it('the imprinting preview loads its extractor with wait', async () => {
    const engines = recordingEngines();
    const preview = new ImprintPreviewJobs(engines as never);
    await expect(
      preview.open({ extractor: new Uint8Array(8), cpuTwin: new Uint8Array(8), engine: 'auto' } as never),
    ).rejects.toThrow('stop here');
    expect(engines.loads).toEqual([expect.objectContaining({ engine: 'auto', wait: true })]);
  });
});
