/**
 * A time limit on a promise that has none of its own (WebUSB calls, a tfjs backend starting).
 * The promise itself cannot be cancelled: after the deadline its late rejection is ignored, since
 * nobody awaits it any more.
 */
import { ReefError } from './errors.ts';

/**
 * Settles as `promise` does, or rejects with DEADLINE_EXCEEDED (`message`, `reason`) after `ms`;
 * `onExpire` runs first when the deadline passes (e.g. to record the timeout in a USB trace).
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  message: string,
  reason = 'timeout',
  onExpire?: () => void,
): Promise<T> {
  // One settle step, no race/finally chain: a guarded USB transfer settles as soon as a bare one
  // would, so wrapping it does not shift the host/device ordering the driver tests replay.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      promise.catch(() => undefined);
      onExpire?.();
      reject(new ReefError('DEADLINE_EXCEEDED', message, { reason }));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
