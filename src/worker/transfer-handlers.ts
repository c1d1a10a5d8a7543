/**
 * comlink forwards only name, message and stack of a thrown error. Both sides import this module
 * so a ReefError's `code` and `reason` survive the trip and the page can branch on them.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { deserializeError, serializeError, type SerializedError } from '../lib/errors.ts';

const builtIn = transferHandlers.get('throw');
if (!builtIn) throw new Error('comlink: no built-in "throw" transfer handler to replace');

const reefThrowHandler: TransferHandler<{ value: unknown }, SerializedError> = {
  canHandle: (value): value is { value: unknown } => builtIn.canHandle(value),
  serialize: ({ value }) => [serializeError(value), []],
  deserialize: (data) => {
    throw deserializeError(data);
  },
};

export function installTransferHandlers(): void {
  transferHandlers.set('throw', reefThrowHandler);
}
