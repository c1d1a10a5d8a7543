import { isQuotaError } from '../../lib/store/index.ts';

export { isQuotaError };

/** What to show a person for an error that came back from the worker. */
export function errorMessage(error: unknown): string {
  // Chromium's QuotaExceededError has an empty message: say what happened instead.
  if (isQuotaError(error)) return STORAGE_FULL;
  if (error instanceof Error) return error.message || `${error.name || 'Error'} (the browser gave no details)`;
  return String(error);
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorReason(error: unknown): string | undefined {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

export const STORAGE_FULL =
  "The browser's storage for Reef is full, so this was not saved. Free some space (delete stored models " +
  'on the Models page, or samples you no longer need) and try again.';
