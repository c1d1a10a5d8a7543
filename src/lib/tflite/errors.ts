import { ReefError, type ReefErrorCode } from '../errors.ts';

/**
 * Why a model file was rejected. Stable strings: callers (the page, the CLI, other helpers) branch
 * on `error.reason`, never on message text.
 */
export type ModelErrorReason =
  | 'bad-magic'
  | 'truncated'
  | 'offset-out-of-range'
  | 'malformed'
  | 'too-large'
  | 'unsupported-schema-version'
  | 'unknown-custom-op'
  | 'runtime-version-unsupported'
  | 'multi-chip-unsupported'
  | 'bad-executable'
  | 'invalid-edit';

const CODES: Record<ModelErrorReason, ReefErrorCode> = {
  'bad-magic': 'INVALID_ARGUMENT',
  truncated: 'DATA_LOSS',
  'offset-out-of-range': 'DATA_LOSS',
  malformed: 'DATA_LOSS',
  'too-large': 'RESOURCE_EXHAUSTED',
  'unsupported-schema-version': 'UNIMPLEMENTED',
  'unknown-custom-op': 'UNIMPLEMENTED',
  'runtime-version-unsupported': 'FAILED_PRECONDITION',
  'multi-chip-unsupported': 'UNIMPLEMENTED',
  'bad-executable': 'DATA_LOSS',
  'invalid-edit': 'INVALID_ARGUMENT',
};

/** The ReefError for a rejected model; the code follows from the reason. */
export function modelError(reason: ModelErrorReason, message: string, cause?: unknown): ReefError {
  return new ReefError(CODES[reason], message, cause === undefined ? { reason } : { reason, cause });
}

export function isModelError(error: unknown, reason?: ModelErrorReason): error is ReefError {
  return error instanceof ReefError && error.reason !== undefined && error.reason in CODES
    ? reason === undefined || error.reason === reason
    : false;
}

/**
 * Runs a parse step and turns any stray exception from hostile bytes (a RangeError from a typed
 * array, a stack overflow in a nested structure) into a typed `malformed` error.
 */
export function guardParse<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ReefError) throw error;
    throw modelError('malformed', `${what}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}
