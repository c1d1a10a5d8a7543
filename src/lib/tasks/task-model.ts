/**
 * What every task needs of a model before an image is prepared: one image input to fill and at
 * least one output to read. A model without either gets a typed error, not a TypeError later.
 */
import { ReefError } from '../errors.ts';
import type { TensorInfo } from '../runtime/index.ts';

export function checkTaskModel(model: { inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] }): void {
  if (model.inputs.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', 'the model has no inputs: there is nothing to feed an image into', {
      reason: 'no-inputs',
    });
  }
  if (model.outputs.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', 'the model has no outputs: there is no result to read', {
      reason: 'no-outputs',
    });
  }
}
