/**
 * The live imprinting preview: after 5 samples per class of two visually different fixture images,
 * held-out crops (never imprinted) are predicted right, with no training step. Through the
 * accelerator worker's preview jobs (extractor twin in WASM, images as the page sends them) and
 * on the plain class-mean arithmetic. Also the typed refusals.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { ImprintingPreview } from '../../../src/lib/learn/imprint-preview.ts';
import { LiteRtRuntime } from '../../../src/lib/runtime/index.ts';
import type { RgbaImage } from '../../../src/lib/tasks/index.ts';
import { WorkerEngines } from '../../../src/worker/engines.ts';
import { ImprintPreviewJobs } from '../../../src/worker/imprint-preview-jobs.ts';
import { TpuEngines } from '../../../src/worker/tpu-engines.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine } from '../runtime/support.ts';
import { augmentedSet, loadClassImages } from './images.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let twin: Uint8Array;
let sources: RgbaImage[];

beforeAll(async () => {
  twin = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
  sources = (await loadClassImages()).slice(0, 2); // cat, bird
});

describe('imprinting preview', () => {
  it('predicts held-out crops right after 5 samples per class, with no training step', async () => {
    const engines = new TpuEngines(
      undefined,
      new WorkerEngines(() => cpuEngine()),
      () => new LiteRtRuntime(nodeLiteRtLoader),
    );
    const jobs = new ImprintPreviewJobs(engines);
    expect(await jobs.open({ extractor: twin, cpuTwin: twin, engine: 'wasm' })).toEqual({ on: 'wasm · cpu' });
    const recorded = augmentedSet(sources, 5, 224, 51);
    expect(await jobs.predict(recorded.images[0]!)).toBeNull(); // nothing imprinted yet
    for (const [i, image] of recorded.images.entries()) {
      const out = await jobs.add(recorded.labels[i]!, image);
      expect(out).toEqual({ on: 'wasm · cpu', samples: i + 1 });
      // One class only: no prediction yet (it could only ever say that class).
      if (i === 4) expect(await jobs.predict(image)).toBeNull();
    }
    const heldOut = augmentedSet(sources, 6, 224, 52);
    let correct = 0;
    for (const [i, image] of heldOut.images.entries()) {
      const p = (await jobs.predict(image))!;
      expect(p.on).toBe('wasm · cpu');
      expect(p.scores).toHaveLength(2);
      if (p.label === heldOut.labels[i]) correct++;
    }
    expect(correct).toBe(heldOut.images.length);
    jobs.close();
    await expect(jobs.add(0, recorded.images[0]!)).rejects.toMatchObject({ reason: 'preview-closed' });
  });

  it('scores are cosines with the class means; bad input is refused by name', () => {
    const preview = new ImprintingPreview(3);
    preview.add(0, [1, 0, 0]);
    preview.add(0, [2, 0.2, 0]);
    expect(preview.ready()).toBe(false);
    preview.add(2, [0, 0, 5]);
    const p = preview.predict([0, 0.1, 3]);
    expect(p.label).toBe(2);
    expect(p.scores[1]).toBe(-1); // class 1 has no samples
    expect(p.scores[2]).toBeCloseTo(3 / Math.hypot(0.1, 3), 10);
    expect(() => preview.add(1, [1, 2])).toThrow(expect.objectContaining({ reason: 'bad-embedding-shape' }));
    expect(() => preview.add(1, [1, NaN, 0])).toThrow(expect.objectContaining({ reason: 'non-finite-embedding' }));
    expect(() => preview.add(-1, [1, 0, 0])).toThrow(expect.objectContaining({ reason: 'bad-label' }));
    expect(() => new ImprintingPreview(3).predict([1, 0, 0])).toThrow(
      expect.objectContaining({ reason: 'preview-not-ready' }),
    );
  });
});
