/**
 * How the virtual Coral reports a driver bug: the transfer rejects with a `ProtocolError` and the
 * violation is recorded on the coral (`coral.violations`), so a test can assert there were none.
 */
export class EmulatorProtocolError extends Error {
  constructor(message: string) {
    super(`virtual coral: protocol violation: ${message}`);
    this.name = 'ProtocolError';
  }
}

export function domError(
  name: 'NotFoundError' | 'AbortError' | 'InvalidStateError' | 'NetworkError',
  message: string,
): Error {
  return new DOMException(message, name);
}
