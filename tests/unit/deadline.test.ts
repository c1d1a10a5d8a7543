import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/lib/deadline.ts';
import { ReefError } from '../../src/lib/errors.ts';

describe('withDeadline', () => {
  it('settles as the promise does when it is in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, 'late')).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1000, 'late')).rejects.toThrow('boom');
  });

  it('rejects with DEADLINE_EXCEEDED and the given reason, and ignores the late rejection', async () => {
    let rejectLate: (e: Error) => void = () => undefined;
    const slow = new Promise<number>((_, reject) => (rejectLate = reject));
    const error = await withDeadline(slow, 10, 'reset did not finish within 10 ms', 'reset-timeout').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).code).toBe('DEADLINE_EXCEEDED');
    expect((error as ReefError).reason).toBe('reset-timeout');
    expect((error as ReefError).message).toBe('reset did not finish within 10 ms');
    // Would surface as an unhandled rejection (and fail the run) if nobody caught it.
    rejectLate(new Error('too late'));
    await new Promise((r) => setTimeout(r, 10));
  });
});
