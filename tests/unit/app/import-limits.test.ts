/** The Models page refuses a file too big, or bigger than the room left, before reading it. */
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../src/app/shared/format.ts';
import {
  MAX_IMPORT_BYTES,
  freeStorageBytes,
  importRefusal,
  storageRefusal,
} from '../../../src/app/shared/import-limits.ts';

const MB = 1024 * 1024;

describe('model import limits', () => {
  it('refuses a 300 MB file by its size, naming the file and the limit', () => {
    expect(MAX_IMPORT_BYTES).toBe(128 * MB);
    expect(importRefusal([{ name: 'huge_edgetpu.tflite', size: 300 * MB }], 10_000 * MB)).toBe(
      'huge_edgetpu.tflite is 300.0 MB: Reef imports files up to 128.0 MB. Is it really a model or label file?',
    );
    expect(importRefusal([{ name: 'limit.tflite', size: MAX_IMPORT_BYTES }], undefined)).toBeUndefined();
    expect(importRefusal([{ name: 'empty.txt', size: 0 }], undefined)).toBe('empty.txt is empty.');
  });

  it('refuses files that do not fit in the storage left, and accepts them when they do', () => {
    const files = [
      { name: 'a_edgetpu.tflite', size: 40 * MB },
      { name: 'a_labels.txt', size: 10_000 },
    ];
    expect(importRefusal(files, 30 * MB)).toMatch(
      /^Not enough storage: these 2 files need 40\.0 MB, and the browser lets Reef store only 30\.0 MB more\. Delete stored files/,
    );
    expect(importRefusal(files.slice(0, 1), 40 * MB)).toMatch(/^Not enough storage: a_edgetpu\.tflite needs 40\.0 MB/);
    expect(importRefusal(files, 42 * MB)).toBeUndefined();
    expect(importRefusal(files, undefined)).toBeUndefined();
    expect(formatBytes(300 * 1024 * MB)).toBe('300.0 GB');
    // A catalog download: its size is known before the first byte.
    expect(storageRefusal('SSD MobileNet v2 needs', 6.6 * MB, 5 * MB)).toMatch(
      /^Not enough storage: SSD MobileNet v2 needs 6\.6 MB, and the browser lets Reef store only 5\.0 MB more/,
    );
    expect(storageRefusal('x needs', 6.6 * MB, 8 * MB)).toBeUndefined();
  });

  it('reads the free room from the storage estimate, if the browser gives one', async () => {
    expect(await freeStorageBytes({ estimate: async () => ({ usage: 10 * MB, quota: 50 * MB }) })).toBe(40 * MB);
    expect(await freeStorageBytes({ estimate: async () => ({ usage: 60 * MB, quota: 50 * MB }) })).toBe(0);
    expect(await freeStorageBytes({ estimate: async () => ({}) })).toBeUndefined();
    expect(await freeStorageBytes({ estimate: () => Promise.reject(new Error('denied')) })).toBeUndefined();
    expect(await freeStorageBytes(undefined)).toBeUndefined();
  });
});
