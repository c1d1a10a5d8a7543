/** The reader's walk budget counts decoded bytes (strings, shapes, vectors), not only elements. */
import { describe, expect, it } from 'vitest';
import { isModelError, readModel } from '../../../src/lib/tflite/index.ts';
import { MAX_DECODED_BYTES } from '../../../src/lib/tflite/checked-buffer.ts';
import { readFixture } from '../../support/fixtures.ts';
import { aliasedModel } from '../../support/hostile-models.ts';

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(isModelError(error)).toBe(true);
    return (error as { reason?: string }).reason;
  }
  return 'no error';
}

describe('flatbuffer walk budget', () => {
  it('refuses 2,000 tensors sharing one 64 KiB name (131 MB of names from a 72 KB file)', () => {
    const bytes = aliasedModel({ copies: 2000, nameBytes: 65_536 });
    expect(bytes.length).toBeLessThan(80_000);
    expect(reasonOf(() => readModel(bytes))).toBe('too-large');
  });

  it('refuses 30,000 opcodes sharing one 64 KiB custom code', () => {
    expect(reasonOf(() => readModel(aliasedModel({ via: 'opcodes' })))).toBe('too-large');
  });

  it('reads the same structure when names are short, and 100,000 inputs of one tensor', () => {
    const model = readModel(aliasedModel({ copies: 2000, nameBytes: 8 }));
    expect(model.subgraphs[0]!.tensors).toHaveLength(2000);
    expect(readModel(aliasedModel({ copies: 1, inputs: 100_000 })).subgraphs[0]!.inputs).toHaveLength(100_000);
  });

  it('leaves room for every real model', async () => {
    const model = readModel(await readFixture('movenet_single_pose_lightning_ptq.tflite'));
    expect(model.subgraphs[0]!.tensors.length).toBeGreaterThan(100);
    expect(MAX_DECODED_BYTES).toBe(32 * 1024 * 1024);
  });
});
