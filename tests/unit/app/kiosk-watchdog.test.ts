/** The kiosk's watchdog: its own expiry restarts the worker; any other error (even a deadline) does not. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isWatchdogExpiry, watched, WATCHDOG_REASON } from '../../../src/app/features/kiosk/watchdog.ts';
import { deserializeError, ReefError, serializeError } from '../../../src/lib/errors.ts';

describe('kiosk watchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects an inference that never answers with its own typed expiry, after the limit only', async () => {
    const outcome = watched(new Promise<never>(() => undefined), 20_000).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(19_000);
    let settled = false;
    void outcome.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_500);
    const error = await outcome;
    expect(error).toBeInstanceOf(ReefError);
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', reason: WATCHDOG_REASON });
    expect(isWatchdogExpiry(error)).toBe(true);
  });

  it('passes a result through, and an error of the run unchanged', async () => {
    await expect(watched(Promise.resolve(7), 20_000)).resolves.toBe(7);
    const refused = new ReefError('FAILED_PRECONDITION', 'not for the Edge TPU', { reason: 'no-edgetpu-ops' });
    await expect(watched(Promise.reject(refused), 20_000)).rejects.toBe(refused);
  });

  it('tells its expiry from look-alikes by code and reason, not by message', () => {
    // A USB deadline inside the worker, as it arrives over comlink: shown, not a restart.
    const usb = deserializeError(
      serializeError(
        new ReefError('DEADLINE_EXCEEDED', 'The accelerator stopped answering.', { reason: 'usb-timeout' }),
      ),
    );
    expect(isWatchdogExpiry(usb)).toBe(false);
    // The old check compared the message with 'watchdog'; the text alone means nothing now.
    expect(isWatchdogExpiry(new Error('watchdog'))).toBe(false);
    expect(isWatchdogExpiry(new ReefError('UNAVAILABLE', 'gone', { reason: WATCHDOG_REASON }))).toBe(false);
    expect(isWatchdogExpiry(undefined)).toBe(false);
    const crossed = deserializeError(
      serializeError(new ReefError('DEADLINE_EXCEEDED', 'something else entirely', { reason: WATCHDOG_REASON })),
    );
    expect(isWatchdogExpiry(crossed)).toBe(true);
  });
});
