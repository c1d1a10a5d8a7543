/**
 * Shapes that lie, refused before any engine allocates: a 340-byte model can claim an input of
 * 1×20000×20000×3 (LiteRT would try to reserve gigabytes), and a constant can claim a shape its
 * buffer does not hold (kernels then read past it). Every engine load goes through
 * `checkTensorSizes` (the partitioned engine: WASM, composite and Edge TPU alike).
 */
import { ReefError } from '../errors.ts';
import { DTYPE_BYTES, type Model, type Tensor } from '../tflite/index.ts';

/**
 * The most elements one tensor may have: 2^25 = 33,554,432 (128 MiB as float32). Real Coral models
 * stay far below: the largest tensor among the test fixtures has 5.5 M elements (DeepLab v3).
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 25;

/** The most bytes all non-constant tensors of a model may need together, before any reuse: 1 GiB. */
export const MAX_ACTIVATION_BYTES = 2 ** 30;

function describe(tensor: Tensor, index: number): string {
  return `tensor ${index} '${tensor.name}' [${tensor.shape.join('×')}]`;
}

/** Element count of a shape, refusing negative or non-integer dimensions. */
function elements(tensor: Tensor, index: number): number {
  let count = 1;
  for (const d of tensor.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ReefError('INVALID_ARGUMENT', `${describe(tensor, index)} has a negative or invalid dimension`, {
        reason: 'bad-shape',
      });
    }
    count *= d;
  }
  return count;
}

export function checkTensorSizes(model: Model): void {
  for (const subgraph of model.subgraphs) {
    let activationBytes = 0;
    subgraph.tensors.forEach((tensor, index) => {
      const count = elements(tensor, index);
      if (count > MAX_TENSOR_ELEMENTS) {
        throw new ReefError(
          'RESOURCE_EXHAUSTED',
          `${describe(tensor, index)} has ${count.toLocaleString('en')} elements; Reef refuses tensors above ${MAX_TENSOR_ELEMENTS.toLocaleString('en')}`,
          { reason: 'tensor-too-large' },
        );
      }
      const perElement = DTYPE_BYTES[tensor.dtype];
      const data = model.buffers[tensor.buffer]?.data;
      const constant = data !== undefined && data.length > 0;
      if (!constant) {
        activationBytes += count * Math.max(1, perElement);
        return;
      }
      // Strings, sub-byte and sparse tensors have no fixed bytes per element: TFLite skips them too.
      if (perElement === 0 || tensor.sparse) return;
      if (data.length !== count * perElement) {
        throw new ReefError(
          'INVALID_ARGUMENT',
          `${describe(tensor, index)} of ${tensor.dtype} needs ${count * perElement} bytes, its buffer ${tensor.buffer} holds ${data.length}`,
          { reason: 'constant-size-mismatch' },
        );
      }
    });
    if (activationBytes > MAX_ACTIVATION_BYTES) {
      throw new ReefError(
        'RESOURCE_EXHAUSTED',
        `the model's tensors need ${activationBytes.toLocaleString('en')} bytes; Reef refuses models above ${MAX_ACTIVATION_BYTES.toLocaleString('en')}`,
        { reason: 'tensors-too-large' },
      );
    }
  }
}
