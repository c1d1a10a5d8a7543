import { isQuotaError } from '../../lib/store/index.ts';

export { isQuotaError };

/** What to show a person for an error that came back from the worker. */
export function errorMessage(error: unknown): string {
  // Chromium's QuotaExceededError has an empty message: say what happened instead.
  if (isQuotaError(error)) return STORAGE_FULL;
  if (error instanceof Error)
    return plainWords(error.message) || `${error.name || 'Error'} (the browser gave no details)`;
  return String(error);
}

/**
 * The library's messages name file-format internals a person cannot act on (the flatbuffer's `TFL3`
 * identifier, the `edgetpu-custom-op` operator): say the same in plain words on the page. The
 * library keeps its precise wording for the CLI and the logs.
 */
export function plainWords(message: string): string {
  return message
    .replace(/file identifier is "[^"]*", expected "TFL3"/g, 'its first bytes are not those of a .tflite file')
    .replace(/\bTFL3\b/g, 'TensorFlow Lite')
    .replace(/`?edgetpu-custom-ops?`?/g, (op) => (op.includes('ops') ? 'Edge TPU operations' : 'Edge TPU operation'));
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
