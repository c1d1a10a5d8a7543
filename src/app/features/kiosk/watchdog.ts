/**
 * The kiosk's watchdog on one inference: the lib's one deadline helper with a reason of its own, so
 * that only this expiry restarts the worker. A deadline the worker itself reports (a USB transfer
 * that timed out) is an ordinary error, shown while the kiosk retries.
 */
import { withDeadline } from '../../../lib/deadline.ts';
import { errorCode, errorReason } from '../../shared/errors.ts';

export const WATCHDOG_REASON = 'kiosk-watchdog';

/** Settles as `run` does, or rejects DEADLINE_EXCEEDED (reason `kiosk-watchdog`) after `ms`. */
export function watched<T>(run: Promise<T>, ms: number): Promise<T> {
  return withDeadline(run, ms, 'The accelerator stopped answering.', WATCHDOG_REASON);
}

/** True only for the watchdog's own expiry: decided by code and reason, never by message text. */
export function isWatchdogExpiry(error: unknown): boolean {
  return errorCode(error) === 'DEADLINE_EXCEEDED' && errorReason(error) === WATCHDOG_REASON;
}
