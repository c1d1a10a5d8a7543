import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { listZip, unzipBounded, type ZipLimits } from '../../../src/lib/tflite/bounded-zip.ts';
import { APPENDED_ZIP_LIMITS } from '../../../src/lib/tflite/zip.ts';
import { filesAppendedToModel, labelsFromModel } from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import {
  deflatedMember,
  eocdFlood,
  overlapBomb,
  rawZip,
  sizeLieBomb,
  storedMember,
} from '../../support/hostile-zip.ts';

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReefError);
    return (error as ReefError).reason;
  }
  return 'no error';
}

const LIMITS: ZipLimits = { maxEntries: 10, maxEntryBytes: 4 * 1024 * 1024, maxTotalBytes: 8 * 1024 * 1024 };

describe('bounded ZIP reader', () => {
  it('reads what fflate writes, stored and deflated, with the same bytes', () => {
    const text = strToU8('tiger cat\n'.repeat(500));
    const zip = zipSync({ 'a.txt': [text, { level: 9 }], 'b/c.bin': [new Uint8Array([1, 2, 3]), { level: 0 }] });
    const files = unzipBounded(zip, LIMITS);
    expect(Object.keys(files)).toEqual(['a.txt', 'b/c.bin']);
    expect(files['a.txt']).toEqual(text);
    expect([...files['b/c.bin']!]).toEqual([1, 2, 3]);
  });

  it('refuses entries that share one member (overlap bomb) before inflating any', () => {
    expect(reasonOf(() => unzipBounded(overlapBomb(1, 6), LIMITS))).toBe('zip-overlap');
  });

  it('refuses the 65 KB → 3.7 GB overlap bomb from its declared sizes', () => {
    const bomb = overlapBomb(60, 60);
    expect(bomb.length).toBeLessThan(200_000);
    expect(reasonOf(() => unzipBounded(bomb, APPENDED_ZIP_LIMITS))).toBe('zip-limit');
  });

  it('stops a member that inflates past its declared size (1 KiB declared, 1 GiB inside)', () => {
    const started = process.memoryUsage().rss;
    expect(reasonOf(() => unzipBounded(sizeLieBomb(1024, 1024), LIMITS))).toBe('zip-size-mismatch');
    expect(process.memoryUsage().rss - started).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses a member that inflates to less than declared', () => {
    const member = deflatedMember('a.txt', strToU8('hello'));
    expect(reasonOf(() => unzipBounded(rawZip([{ ...member, size: 50 }]), LIMITS))).toBe('zip-size-mismatch');
  });

  it('enforces entry count, per-entry and total limits', () => {
    const many = rawZip(Array.from({ length: 11 }, (_, i) => storedMember(`${i}.txt`, strToU8('x'))));
    expect(reasonOf(() => listZip(many, LIMITS))).toBe('zip-limit');
    const big = rawZip([storedMember('a', new Uint8Array(5 * 1024 * 1024))]);
    expect(reasonOf(() => listZip(big, LIMITS))).toBe('zip-limit');
    const total = rawZip([0, 1, 2].map((i) => storedMember(`${i}`, new Uint8Array(3 * 1024 * 1024))));
    expect(reasonOf(() => listZip(total, LIMITS))).toBe('zip-limit');
  });

  it('reads through an end-of-central-directory flood quickly', () => {
    const flood = eocdFlood();
    const t0 = Date.now();
    const result = reasonOf(() => unzipBounded(flood, LIMITS));
    // The real archive sits behind thousands of fake end records: a typed refusal is fine too.
    expect(['zip-limit', 'zip-malformed', 'no error']).toContain(result);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('names damage as a typed error', () => {
    expect(reasonOf(() => unzipBounded(new Uint8Array([1, 2, 3, 4]), LIMITS))).toBe('zip-malformed');
    const zip = zipSync({ 'a.txt': [strToU8('hello hello hello hello'), { level: 9 }] });
    zip[40] = zip[40]! ^ 0xff;
    expect(reasonOf(() => unzipBounded(zip, LIMITS))).toMatch(/^zip-/);
  });
});

describe('labels appended to a model', () => {
  it('the tasks helper reads real labels and gives no files for a bomb', async () => {
    const model = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    expect(labelsFromModel(model)?.get(283)).toBe('tiger cat');
    const bombed = new Uint8Array(model.length + 100_000);
    const bomb = overlapBomb(1, 60);
    bombed.set(model);
    bombed.set(bomb, model.length);
    expect(filesAppendedToModel(bombed.subarray(0, model.length + bomb.length)).size).toBe(0);
  });
});
