/** The page's liveness check on a worker: a call to a dead worker rejects instead of waiting forever. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReefError } from '../../../src/lib/errors.ts';
import { WorkerWatch } from '../../../src/app/shared/worker-watch.ts';

const never = <T>() => new Promise<T>(() => undefined);

describe('WorkerWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('declares a worker that stops answering pings gone, and rejects every pending call', async () => {
    const gone: ReefError[] = [];
    const ping = vi.fn(() => never<boolean>());
    const watch = new WorkerWatch({ name: 'training worker', ping, onGone: (e) => gone.push(e), deadMs: 10_000 });
    const first = watch.watch(never<string>());
    const second = watch.watch(never<number>());
    const outcome = Promise.allSettled([first, second]);

    await vi.advanceTimersByTimeAsync(9_000);
    expect(gone).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({ code: 'UNAVAILABLE', reason: 'worker-gone' });
    expect(gone[0]!.message).toMatch(/^The training worker stopped responding \(no answer for 1\d s\)/);
    for (const result of await outcome) expect(result).toMatchObject({ status: 'rejected', reason: gone[0] });
    // One ping in flight at a time: a dead worker is not flooded.
    expect(ping).toHaveBeenCalledTimes(1);
    // Later calls fail at once; nothing beats any more.
    await expect(watch.watch(Promise.resolve(1))).rejects.toBe(gone[0]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ping).toHaveBeenCalledTimes(1);
    expect(gone).toHaveLength(1);
  });

  it('lets a long call of a worker that keeps answering finish, and stops pinging when nothing is pending', async () => {
    const ping = vi.fn(async () => true);
    const onGone = vi.fn();
    const watch = new WorkerWatch({ name: 'training worker', ping, onGone, deadMs: 5_000 });
    let finish: (value: string) => void = () => undefined;
    const call = watch.watch(new Promise<string>((resolve) => (finish = resolve)));
    await vi.advanceTimersByTimeAsync(60_000);
    finish('trained');
    await expect(call).resolves.toBe('trained');
    expect(onGone).not.toHaveBeenCalled();
    const pings = ping.mock.calls.length;
    expect(pings).toBeGreaterThan(20);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ping).toHaveBeenCalledTimes(pings);
  });

  it('passes a call’s own rejection through, and fail() rejects pending calls with the reason given', async () => {
    const watch = new WorkerWatch({ name: 'w', ping: async () => true, onGone: vi.fn() });
    await expect(watch.watch(Promise.reject(new Error('bad zip')))).rejects.toThrow('bad zip');
    const pending = watch.watch(never<void>());
    const stop = { code: 'CANCELLED', message: 'Cancelled.' } as ReefError;
    watch.fail(stop);
    await expect(pending).rejects.toBe(stop);
    expect(watch.gone).toBe(true);
  });
});
