/** Errors shown on the page: a full disk is said in words even when the browser gives none. */
import { describe, expect, it } from 'vitest';
import { ReefError, deserializeError, serializeError } from '../../../src/lib/errors.ts';
import { STORAGE_FULL, errorMessage, errorReason, isQuotaError, plainWords } from '../../../src/app/shared/errors.ts';

describe('page errors', () => {
  it('recognises a quota error by name or code, also after it crossed from a worker, never by message', () => {
    // Chromium's IndexedDB quota error: the name says it all, the message is empty.
    const idb = new DOMException('', 'QuotaExceededError');
    expect(isQuotaError(idb)).toBe(true);
    expect(errorMessage(idb)).toBe(STORAGE_FULL);
    expect(STORAGE_FULL).toMatch(/storage for Reef is full.*Free some space/);
    // Cache Storage in the worker: crosses comlink as a plain Error that keeps its name.
    const crossed = deserializeError(
      serializeError(new DOMException("Failed to execute 'put' on 'Cache': Quota exceeded.", 'QuotaExceededError')),
    );
    expect(crossed).not.toBeInstanceOf(DOMException);
    expect(isQuotaError(crossed)).toBe(true);
    expect(isQuotaError(new Error('QuotaExceededError'))).toBe(false);
    expect(isQuotaError(new DOMException('', 'AbortError'))).toBe(false);
    expect(isQuotaError(undefined)).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
  });

  it('never shows an empty message', () => {
    expect(errorMessage(new DOMException('', 'AbortError'))).toBe('AbortError (the browser gave no details)');
    expect(errorMessage(new Error(''))).toBe('Error (the browser gave no details)');
    expect(errorMessage(new ReefError('INVALID_ARGUMENT', 'the ZIP has too many entries'))).toBe(
      'the ZIP has too many entries',
    );
    expect(errorReason(new ReefError('UNAVAILABLE', 'gone', { reason: 'worker-gone' }))).toBe('worker-gone');
    expect(errorReason(new Error('x'))).toBeUndefined();
  });

  it('says file-format internals in plain words on the page', () => {
    const badMagic = new ReefError(
      'INVALID_ARGUMENT',
      'cat.tflite: not a TFLite model: file identifier is "\u0000\u0000BM", expected "TFL3"',
      { reason: 'bad-magic' },
    );
    expect(errorMessage(badMagic)).toBe(
      'cat.tflite: not a TFLite model: its first bytes are not those of a .tflite file',
    );
    expect(errorMessage(new Error('the model has no edgetpu-custom-op: it was not compiled for the Edge TPU'))).toBe(
      'the model has no Edge TPU operation: it was not compiled for the Edge TPU',
    );
    expect(plainWords('2 `edgetpu-custom-ops` in one model')).toBe('2 Edge TPU operations in one model');
    expect(plainWords('a TFL3 flatbuffer')).toBe('a TensorFlow Lite flatbuffer');
    expect(plainWords('TFL3x stays')).toBe('TFL3x stays');
  });
});
