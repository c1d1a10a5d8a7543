/**
 * Absurd Edge TPU executable sizes, on the driver's own load path (programFromModel, then
 * prepareExecutable): a typed bad-executable error when the package is decoded, never a RangeError
 * from `new Uint8Array(-262136)` while preparing. In process: nothing here allocates much.
 */
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { AddressMap, prepareExecutable } from '../../../src/lib/edgetpu/driver/streamable-program.ts';
import { programFromModel } from '../../../src/lib/edgetpu/program/program-from-model.ts';
import { readFixture } from '../../support/fixtures.ts';
import { patchExecutable, type ExecutableLie } from '../../support/hostile-models.ts';

const LIES: [ExecutableLie, number][] = [
  ['hint-size', -262_144],
  ['hint-size', 0x7ffffff0],
  ['layer-size', -4096],
  ['layer-size', 0x40000000],
  ['x-dim', 0x7fffffff],
  ['x-dim', -1],
];

describe('absurd Edge TPU executable sizes on the driver load path', () => {
  it('the unpatched model loads and prepares (the control case)', async () => {
    const { program } = programFromModel(await readFixture('testconv1-edgetpu.tflite'));
    const prepared = prepareExecutable(program.main, new AddressMap(0));
    expect(prepared.steps.length).toBeGreaterThan(0);
    expect(prepared.outputBuffers[0]!.length).toBeGreaterThan(0);
  });

  for (const [lie, value] of LIES)
    it(`${lie} = ${value} is a typed bad-executable error at load`, async () => {
      const bytes = patchExecutable(await readFixture('testconv1-edgetpu.tflite'), lie, value);
      let caught: unknown;
      try {
        const loaded = programFromModel(bytes);
        // Reached only if decoding let the size through: preparing must then not throw a RangeError.
        prepareExecutable(loaded.program.main, new AddressMap(0));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ReefError);
      expect((caught as ReefError).reason).toBe('bad-executable');
    });
});
