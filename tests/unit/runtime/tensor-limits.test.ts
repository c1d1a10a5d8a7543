/**
 * Shapes that lie are refused at load, before any engine allocates: a tiny model whose input claims
 * 1×20000×20000×3, a constant whose shape no longer matches its buffer. Every engine load (WASM,
 * composite with an Edge TPU op) goes through the check; real models pass it.
 */
import { describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import {
  checkTensorSizes,
  LiteRtRuntime,
  MAX_TENSOR_ELEMENTS,
  PartitionedEngine,
  type LiteRtLoader,
} from '../../../src/lib/runtime/index.ts';
import { readModel, writeModel } from '../../../src/lib/tflite/index.ts';
import { fixtureNames, readFixture } from '../../support/fixtures.ts';
import { hugeInputModel } from './hostile-models.ts';
import { twinTpuRunner } from './twin-tpu-runner.ts';

/** The Node loader, counting how often a LiteRT instance was created (allocation starts there). */
function countingLoader(): LiteRtLoader & { loads: number } {
  const loader = {
    loads: 0,
    load: (hooks?: Parameters<LiteRtLoader['load']>[0]) => {
      loader.loads++;
      return nodeLiteRtLoader.load(hooks);
    },
  };
  return loader;
}

describe('tensor sizes at load', () => {
  it('a 352-byte model whose input claims 1×20000×20000×3: typed error with the number, before LiteRT loads', async () => {
    const bytes = hugeInputModel();
    expect(bytes.length).toBeLessThan(400);
    const loader = countingLoader();
    const engine = new PartitionedEngine({ runtime: new LiteRtRuntime(loader) });
    await expect(engine.load(bytes)).rejects.toMatchObject({
      name: 'ReefError',
      code: 'RESOURCE_EXHAUSTED',
      reason: 'tensor-too-large',
      message: `tensor 0 'in' [1×20000×20000×3] has 1,200,000,000 elements; Reef refuses tensors above 33,554,432`,
    });
    expect(loader.loads).toBe(0);
    expect(MAX_TENSOR_ELEMENTS).toBe(33_554_432);
  });

  it('a constant whose shape changed while its buffer stayed the same: typed error naming both sizes', async () => {
    const bytes = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    const model = readModel(bytes);
    const tensors = model.subgraphs[0]!.tensors;
    const index = tensors.findIndex((t) => t.dtype === 'int32' && model.buffers[t.buffer]!.data.length > 0);
    const tensor = tensors[index]!;
    const held = model.buffers[tensor.buffer]!.data.length;
    tensor.shape = [tensor.shape[0]! * 2];
    const engine = new PartitionedEngine({ runtime: new LiteRtRuntime(countingLoader()) });
    await expect(engine.load(writeModel(model))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'constant-size-mismatch',
      message: `tensor ${index} '${tensor.name}' [${tensor.shape[0]}] of int32 needs ${held * 2} bytes, its buffer ${tensor.buffer} holds ${held}`,
    });
  });

  it('a uint8 weight tensor reshaped to fewer elements than its buffer holds is refused too', async () => {
    const model = readModel(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    const tensors = model.subgraphs[0]!.tensors;
    const weight = tensors.find(
      (t) => t.dtype === 'uint8' && t.shape.length === 4 && model.buffers[t.buffer]!.data.length > 0,
    )!;
    weight.shape = [1, ...weight.shape.slice(1)];
    expect(() => checkTensorSizes(model)).toThrow(/needs \d+ bytes, its buffer \d+ holds \d+/);
  });

  it('the composite engine with an Edge TPU op checks before preparing the TPU op', async () => {
    const compiled = readModel(await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'));
    const input = compiled.subgraphs[0]!.tensors[compiled.subgraphs[0]!.inputs[0]!]!;
    input.shape = [1, 20000, 20000, 3];
    const runner = twinTpuRunner(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    let prepared = 0;
    const engine = new PartitionedEngine({
      runtime: new LiteRtRuntime(countingLoader()),
      tpu: { device: runner.device, prepare: (op) => (prepared++, runner.prepare(op)) },
    });
    await expect(engine.load(writeModel(compiled))).rejects.toMatchObject({ reason: 'tensor-too-large' });
    expect(prepared).toBe(0);
  });

  it('every fixture model passes', async () => {
    const names = fixtureNames((n) => n.endsWith('.tflite'));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const model = readModel(await readFixture(name));
      expect(() => checkTensorSizes(model), name).not.toThrow();
    }
  });
});
