import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { CATALOG, MemoryFileCache, storePinnedFile } from '../../../src/lib/zoo/index.ts';
import { readFixture } from '../../support/fixtures.ts';

const entry = CATALOG.find((e) => e.id === 'mobilenet-v1-0.25-128')!;

describe('storePinnedFile (a catalog file chosen from disk)', () => {
  it('keeps a file whose bytes match a pin, under the pinned name, whatever it was called on disk', async () => {
    const cache = new MemoryFileCache();
    const bytes = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    const pinned = await storePinnedFile(entry.files, bytes, 'renamed.tflite', cache);
    expect(pinned.name).toBe('mobilenet_v1_0.25_128_quant.tflite');
    expect(pinned.role).toBe('cpu');
    const [info] = await cache.list();
    expect(info?.name).toBe('mobilenet_v1_0.25_128_quant.tflite');
    expect(info?.sha256).toBe(pinned.sha256);
    expect(await cache.get(pinned.sha256)).toEqual(bytes);
  });

  it('refuses a file that matches no pin of the entry, naming the expected files, and stores nothing', async () => {
    const cache = new MemoryFileCache();
    const bytes = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    const error = await storePinnedFile(entry.files, bytes, 'tampered.tflite', cache).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).reason).toBe('sha256-mismatch');
    expect((error as ReefError).message).toContain('tampered.tflite is not one of the expected files');
    expect((error as ReefError).message).toContain('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    expect(await cache.list()).toEqual([]);
  });
});
