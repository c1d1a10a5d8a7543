/** A model tasks cannot use (no inputs, no outputs) is a typed error before any pixel is touched. */
import { describe, expect, it } from 'vitest';
import { checkTaskModel, decodeBmp, imageToTensor } from '../../../src/lib/tasks/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { tensorInfo, type TensorInfo } from '../../../src/lib/runtime/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { noInputModel } from '../runtime/hostile-models.ts';

function io(bytes: Uint8Array): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const subgraph = readModel(bytes).subgraphs[0]!;
  return {
    inputs: subgraph.inputs.map((t) => tensorInfo(subgraph.tensors[t]!)),
    outputs: subgraph.outputs.map((t) => tensorInfo(subgraph.tensors[t]!)),
  };
}

describe('models tasks cannot use', () => {
  it('no inputs: imageToTensor and checkTaskModel give a typed error, not a TypeError', async () => {
    const model = io(noInputModel());
    expect(model.inputs).toHaveLength(0);
    const image = decodeBmp(await readFixture('mnist_nine.bmp'));
    expect(() => imageToTensor(image, model.inputs[0])).toThrow(
      expect.objectContaining({ name: 'ReefError', code: 'INVALID_ARGUMENT', reason: 'no-inputs' }),
    );
    expect(() => checkTaskModel(model)).toThrow(expect.objectContaining({ reason: 'no-inputs' }));
  });

  it('no outputs is refused; a real classifier passes', async () => {
    const real = io(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    expect(() => checkTaskModel(real)).not.toThrow();
    expect(() => checkTaskModel({ inputs: real.inputs, outputs: [] })).toThrow(
      expect.objectContaining({
        reason: 'no-outputs',
        message: 'the model has no outputs: there is no result to read',
      }),
    );
  });
});
