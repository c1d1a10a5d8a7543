/**
 * The one error type every layer throws. Codes are libedgetpu's canonical status codes, so the
 * page can branch on `code` (never on message text) after the error crossed the worker boundary.
 */
export const REEF_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'FAILED_PRECONDITION',
  'NOT_FOUND',
  'DEADLINE_EXCEEDED',
  'UNAVAILABLE',
  'CANCELLED',
  'UNIMPLEMENTED',
  'DATA_LOSS',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
] as const;
export type ReefErrorCode = (typeof REEF_ERROR_CODES)[number];

export class ReefError extends Error {
  readonly code: ReefErrorCode;
  /** Finer reason inside a code, e.g. `bad-magic` for a model file; stable, machine-readable. */
  readonly reason: string | undefined;
  constructor(code: ReefErrorCode, message: string, options?: ErrorOptions & { reason?: string }) {
    super(message, options);
    this.name = 'ReefError';
    this.code = code;
    this.reason = options?.reason;
  }
}

/** Plain-data form of an error, for postMessage, JSON output and logs. */
export interface SerializedError {
  name: string;
  message: string;
  code: ReefErrorCode | undefined;
  reason: string | undefined;
  stack: string | undefined;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ReefError) {
    return { name: error.name, message: error.message, code: error.code, reason: error.reason, stack: error.stack };
  }
  if (error instanceof Error) {
    return { name: error.name, message: error.message, code: undefined, reason: undefined, stack: error.stack };
  }
  return { name: 'Error', message: String(error), code: undefined, reason: undefined, stack: undefined };
}

export function deserializeError(data: SerializedError): Error {
  const error = data.code
    ? new ReefError(data.code, data.message, data.reason === undefined ? {} : { reason: data.reason })
    : new Error(data.message);
  error.name = data.name;
  if (data.stack) error.stack = data.stack;
  return error;
}
