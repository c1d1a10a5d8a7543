/**
 * The engine conformance suite, written once and run over every implementation (tfjs-style):
 * `describeEngine(name, setup)` checks what any Engine promises — tensor metadata with quantization,
 * results that name their engine and device, correct labels on a fixture image, typed errors for
 * bad inputs. `setup` says which model file the engine takes (a CPU model, or a compiled one).
 */
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import type { Engine, LoadedModel } from '../../../src/lib/runtime/index.ts';
import { classify, imageToTensor } from '../../../src/lib/tasks/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';
import { fixtureImage, fixtureLabels } from './support.ts';

export interface EngineSetup {
  engine: Engine;
  /** The MobileNet v1 0.25/128 file this engine runs (CPU twin or compiled). */
  classifier: FixtureName;
  /** What `engine` and `device` of its results must be. */
  expectEngine: string | RegExp;
  expectDevice: string | RegExp;
}

export function describeEngine(name: string, setup: () => EngineSetup): void {
  describe(`engine conformance: ${name}`, () => {
    let cached: { s: EngineSetup; model: LoadedModel } | undefined;
    const loaded = async () => {
      if (!cached) {
        const s = setup();
        cached = { s, model: await s.engine.load(await readFixture(s.classifier)) };
      }
      return cached;
    };

    it('describes inputs and outputs with dtype, shape and quantization', async () => {
      const { model } = await loaded();
      expect(model.inputs).toEqual([
        { name: 'input', dtype: 'uint8', shape: [1, 128, 128, 3], scale: 0.0078125, zeroPoint: 128 },
      ]);
      expect(model.outputs).toEqual([
        {
          name: 'MobilenetV1/Predictions/Reshape_1',
          dtype: 'uint8',
          shape: [1, 1001],
          scale: 0.00390625,
          zeroPoint: 0,
        },
      ]);
    });

    it('classifies cat.bmp as tiger cat and names the engine and device that ran it', async () => {
      const { s, model } = await loaded();
      const prepared = imageToTensor(await fixtureImage('cat.bmp'), model.inputs[0]!);
      const result = await model.run([prepared.data]);
      expect(result.engine).toMatch(s.expectEngine);
      expect(result.device).toMatch(s.expectDevice);
      expect(result.ms).toBeGreaterThan(0);
      const [top] = classify(result.outputs[0]!, { topK: 1, labels: await fixtureLabels('imagenet_labels.txt') });
      expect(top!.label).toBe('tiger cat');
    });

    it('rejects inputs of the wrong size or count with typed errors', async () => {
      const { model } = await loaded();
      const error = await model.run([new Uint8Array(7)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReefError);
      expect((error as ReefError).code).toBe('INVALID_ARGUMENT');
      await expect(model.run([])).rejects.toBeInstanceOf(ReefError);
    });
  });
}
