/**
 * The worker's model registry after LiteRT refuses a model: the task fails with a typed error (no
 * result), and the next model loads and runs correctly in the same worker engine.
 */
import { describe, expect, it } from 'vitest';
import { WorkerEngines, type ClassifyResult } from '../../../src/worker/engines.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage } from '../runtime/support.ts';
import { noInputModel, softmaxModel } from '../runtime/hostile-models.ts';

describe('WorkerEngines after LiteRT refuses a model', () => {
  const engines = new WorkerEngines(() => cpuEngine());

  it('typed error for the refused model, then the next model classifies cat.bmp as a tiger cat', async () => {
    const cat = await fixtureImage('cat.bmp');
    const bad = await engines.load(softmaxModel(0));
    await expect(engines.runTask(bad.id, cat, 'classify')).rejects.toMatchObject({
      name: 'ReefError',
      code: 'INVALID_ARGUMENT',
      reason: 'litert-prepare-failed',
      message: 'LiteRT could not prepare op 0 (SOFTMAX): output->params.zero_point != -128 (0 != -128)',
    });
    // The raw path refuses as well: no output tensors leave a failed run.
    await expect(engines.run(bad.id, [new Int8Array(12)])).rejects.toMatchObject({ reason: 'litert-prepare-failed' });

    const good = await engines.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    const result = (await engines.runTask(good.id, cat, 'classify', { topK: 1 })) as ClassifyResult;
    expect(result.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });
    expect(result.classes[0]!.score).toBeGreaterThan(0.3);
  }, 60_000);

  it('a model without inputs: typed error from the task, not a TypeError', async () => {
    const info = await engines.load(noInputModel());
    await expect(engines.runTask(info.id, await fixtureImage('cat.bmp'), 'classify')).rejects.toMatchObject({
      reason: 'no-inputs',
    });
  });
});
