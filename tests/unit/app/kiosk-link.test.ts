/** Kiosk links and download failures: what the Models page copies and says. */
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { chosenFileRefusal, downloadFailure } from '../../../src/app/shared/download-failure.ts';
import { kioskLink } from '../../../src/app/features/models/kiosk-link.ts';

describe('kioskLink', () => {
  it('is the kiosk flag, the model and the task, URL-encoded', () => {
    expect(kioskLink('mobilenet-v1-0.25-128', 'classify', 'https://reef.example')).toBe(
      'https://reef.example/?kiosk&model=mobilenet-v1-0.25-128&task=classify',
    );
    const link = new URL(kioskLink('my model & co.tflite', undefined, 'http://localhost:4179'));
    expect(link.searchParams.has('kiosk')).toBe(true);
    expect(link.searchParams.get('model')).toBe('my model & co.tflite');
    expect(link.searchParams.has('task')).toBe(false);
  });
});

describe('downloadFailure', () => {
  const longUrl = `https://mirror.example/${'x'.repeat(200)}/model.tflite`;

  it('names the host, not the URL, and says what to do next', () => {
    const network = new ReefError('UNAVAILABLE', `cannot download model.tflite from ${longUrl} (offline or blocked)`, {
      reason: 'network',
    });
    const text = downloadFailure(network, 'MobileNet', 'https://mirror.example/base');
    expect(text).toBe(
      'MobileNet could not be downloaded from mirror.example (offline, or the source is blocked). Use a file you have, or change the download source.',
    );
    expect(text).not.toContain('xxx');
    expect(downloadFailure(network, 'MobileNet', '')).toContain('from raw.githubusercontent.com');
  });

  it('keeps the HTTP status, says a checksum mismatch plainly, and passes other errors through', () => {
    const http = new ReefError('UNAVAILABLE', `download of m from ${longUrl} failed: HTTP 404`, { reason: 'http' });
    expect(downloadFailure(http, 'M', '')).toBe(
      'M could not be downloaded: raw.githubusercontent.com answered HTTP 404. Use a file you have, or change the download source.',
    );
    const sha = new ReefError('DATA_LOSS', 'm: sha256 abc does not match', { reason: 'sha256-mismatch' });
    expect(downloadFailure(sha, 'M', 'not a url')).toMatch(/^M from the download source is not the published file/);
    expect(downloadFailure(new Error('disk on fire'), 'M', '')).toBe('disk on fire');
  });
});

describe('chosenFileRefusal', () => {
  it('names the file and the entry in one short line for a pin mismatch; other errors pass through', () => {
    const sha = new ReefError('INVALID_ARGUMENT', `x.tflite is not one of ${'y'.repeat(200)}`, {
      reason: 'sha256-mismatch',
    });
    expect(chosenFileRefusal(sha, 'x.tflite', 'MobileNet')).toBe(
      'x.tflite is not one of the files of MobileNet (its checksum matches none of the pinned ones), so it was not kept.',
    );
    expect(chosenFileRefusal(new Error('quota'), 'x.tflite', 'MobileNet')).toBe('quota');
  });
});
