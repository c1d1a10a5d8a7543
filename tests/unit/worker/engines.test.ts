/** The worker's model registry and tasks, run in Node with the Node LiteRT loader and RGBA images. */
import { describe, expect, it } from 'vitest';
import { WorkerEngines, type ClassifyResult, type SegmentResult } from '../../../src/worker/engines.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage } from '../runtime/support.ts';

describe('WorkerEngines', () => {
  const engines = new WorkerEngines(() => cpuEngine());

  it('loads by bytes, reports I/O, labels and runtime, runs tasks, unloads', async () => {
    const info = await engines.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    expect(info).toMatchObject({ engine: 'litert-wasm', device: 'cpu', runtime: { threads: 1 } });
    expect(info.labels?.[283]).toBe('tiger cat');
    const result = (await engines.runTask(info.id, await fixtureImage('cat.bmp'), 'classify', {
      topK: 2,
    })) as ClassifyResult;
    expect(result.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });
    // The frame budget's worker parts: the engine's own time, and the steps around it.
    expect(result.stages!.inferenceMs).toBe(result.ms);
    expect(result.stages!.preprocessMs).toBeGreaterThan(0);
    expect(result.stages!.postprocessMs).toBeGreaterThanOrEqual(0);
    expect(engines.unload(info.id)).toBe(true);
    await expect(engines.run(info.id, [])).rejects.toMatchObject({ code: 'NOT_FOUND', reason: 'unknown-model' });
  });

  it('segments with a class mask at image size and caller labels', async () => {
    const info = await engines.load(await readFixture('deeplabv3_mnv2_dm05_pascal_quant.tflite'));
    const labels = Array.from({ length: 21 }, (_, i) => (i === 3 ? 'bird' : `c${i}`));
    const result = (await engines.runTask(info.id, await fixtureImage('bird_segmentation.bmp'), 'segment', {
      labels,
    })) as SegmentResult;
    expect(result.mask).toHaveLength(513 * 513);
    expect(result.classes.find((c) => c.label === 'bird')!.pixels).toBeGreaterThan(20_000);
  });

  it('refuses engines it does not have', async () => {
    await expect(
      engines.load(await readFixture('split_concat.tflite'), { engine: 'usb' as 'cpu' }),
    ).rejects.toMatchObject({ reason: 'unknown-engine' });
  });
});
