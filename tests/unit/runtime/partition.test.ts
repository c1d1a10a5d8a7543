import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { partitionModel, type Partition } from '../../../src/lib/runtime/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

async function partition(name: FixtureName): Promise<Partition> {
  return partitionModel(readModel(await readFixture(name)));
}

function shape(p: Partition): string {
  return p.segments
    .map((s) => `${s.placement}[${s.ops.length === 1 ? s.ops[0] : `${s.ops[0]}-${s.ops.at(-1)}`}]`)
    .join(' ');
}

describe('partitionModel', () => {
  it('places whole CPU models on LiteRT', async () => {
    const p = await partition('mobilenet_v1_0.25_128_quant.tflite');
    expect(shape(p)).toBe('litert[0-30]');
    expect(p.segments[0]!.inputs).toEqual(p.subgraph.inputs);
    expect(p.segments[0]!.outputs).toEqual(p.subgraph.outputs);
  });

  it('gives LiteRT what it cannot hand back to Reef kernels', async () => {
    expect(shape(await partition('fish_ssd_detect.tflite'))).toBe('litert[0-113] reef[114]');
    const deeplab = await partition('deeplabv3_mnv2_dm05_pascal_quant.tflite');
    expect(shape(deeplab)).toBe('litert[0-70] reef[71]');
    expect(deeplab.ops[71]!.kernel!.name).toBe('ARG_MAX');
    const lstm = await partition('keras_lstm_mnist_ptq.tflite');
    expect(shape(lstm)).toBe('litert[0] reef[1] litert[2-5]');
    // The LSTM's variable state tensors are not boundary tensors: the kernel keeps its own state.
    expect(lstm.segments[1]!.inputs).toEqual([16]);
  });

  it('places edgetpu-custom-op on the Edge TPU with CPU segments around it', async () => {
    expect(shape(await partition('mobilenet_v1_0.25_128_quant_edgetpu.tflite'))).toBe('edgetpu[0]');
    expect(shape(await partition('ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite'))).toBe(
      'edgetpu[0] litert[1-2] reef[3]',
    );
    expect(shape(await partition('deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite'))).toBe(
      'edgetpu[0] litert[1-7] reef[8]',
    );
    const movenet = await partition('movenet_single_pose_lightning_ptq_edgetpu.tflite');
    expect(movenet.segments.map((s) => s.placement)).toEqual(['litert', 'edgetpu', 'litert']);
  });

  it('keeps the model’s output order for a whole-model segment (split_concat lists outputs out of op order)', async () => {
    const p = await partition('split_concat.tflite');
    expect(p.segments[0]!.outputs).toEqual([4, 6, 8, 5, 10]);
  });

  it('rejects an op nobody runs, naming it', async () => {
    const error = await partition('model_invoking_error.tflite').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReefError);
    expect(error).toMatchObject({ code: 'UNIMPLEMENTED', reason: 'unsupported-op:fake-op-double' });
  });

  it('rejects variable tensors when no kernel takes the op', async () => {
    const model = readModel(await readFixture('keras_lstm_mnist_ptq.tflite'));
    expect(() => partitionModel(model, [])).toThrow(/variable tensor/);
  });
});
