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

/** Legacy numeric DOMException code of QuotaExceededError. */
const QUOTA_EXCEEDED_CODE = 22;

/**
 * A write refused because the origin's storage is full. Recognised by name (kept when the error
 * crossed from a worker) or legacy code, never by message: IndexedDB's message is empty in Chromium,
 * and Cache Storage's is worded differently in each browser.
 */
export function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || (error instanceof DOMException && code === QUOTA_EXCEEDED_CODE);
}

export const STORAGE_FULL =
  "The browser's storage for Reef is full, so this was not saved. Free some space (delete stored models " +
  'on the Models page, or samples you no longer need) and try again.';
