import { describe, expect, it } from 'vitest';
import { findEdgeTpuOps } from '../../../src/lib/edgetpu/executable/index.ts';
import { checkEdgeTpuCompatibility, ModelBuilder, readModel } from '../../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

async function check(name: FixtureName) {
  return checkEdgeTpuCompatibility(readModel(await readFixture(name)));
}

describe('checkEdgeTpuCompatibility against the compiled twins', () => {
  const fullyMapped: [FixtureName, FixtureName][] = [
    ['mobilenet_v1_0.25_128_quant.tflite', 'mobilenet_v1_0.25_128_quant_edgetpu.tflite'],
    [
      'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
      'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
    ],
    ['split_concat.tflite', 'split_concat_edgetpu.tflite'],
    ['keras_lstm_mnist_ptq.tflite', 'keras_lstm_mnist_ptq_edgetpu.tflite'],
  ];
  for (const [cpu, compiled] of fullyMapped) {
    it(`${cpu}: compatible, and the compiler indeed mapped everything into one op`, async () => {
      const report = await check(cpu);
      expect(report.unsupported).toEqual([]);
      expect(report.compatible).toBe(true);
      expect(new Set(report.predictedPlacement)).toEqual(new Set(['tpu']));
      const twin = readModel(await readFixture(compiled));
      expect(twin.subgraphs[0]!.operators).toHaveLength(1);
      expect(findEdgeTpuOps(twin)).toHaveLength(1);
    });
  }

  it('fish SSD: the float post-processing custom op stays on the CPU, as in the compiled twin', async () => {
    const report = await check('fish_ssd_detect.tflite');
    expect(report.compatible).toBe(false);
    expect(new Set(report.unsupported.map((u) => u.opcode))).toEqual(new Set(['TFLite_Detection_PostProcess']));
    expect(report.unsupported.map((u) => u.reason)).toContain('custom ops are not supported by the Edge TPU');
    expect(report.predictedPlacement.slice(0, 114).every((p) => p === 'tpu')).toBe(true);
    expect(report.predictedPlacement[114]).toBe('cpu');
  });

  it('movenet PTQ: float CAST/QUANTIZE prefix on the CPU, then one partition, then CPU', async () => {
    const report = await check('movenet_single_pose_lightning_ptq.tflite');
    expect(report.predictedPlacement.slice(0, 3)).toEqual(['cpu', 'cpu', 'tpu']);
    const twin = readModel(await readFixture('movenet_single_pose_lightning_ptq_edgetpu.tflite'));
    // The compiled twin has the same two-op CPU prefix before its Edge TPU op.
    const names = twin.subgraphs[0]!.operators.map(
      (o) => twin.operatorCodes[o.opcodeIndex]!.customCode ?? twin.operatorCodes[o.opcodeIndex]!.builtinName,
    );
    expect(names.slice(0, 3)).toEqual(['CAST', 'QUANTIZE', 'edgetpu-custom-op']);
    expect(report.unsupported.some((u) => u.opcode === 'GATHER_ND' && u.reason.includes('not supported'))).toBe(true);
    // After the partition ends, everything is CPU (one partition only).
    const firstTailCpu = report.predictedPlacement.indexOf('cpu', 2);
    expect(report.predictedPlacement.slice(firstTailCpu).every((p) => p === 'cpu')).toBe(true);
  });

  it('flags float tensors, dynamic shapes, 4-D batches and op limits in a built model', () => {
    const b = new ModelBuilder();
    const q = { scale: [0.1], zeroPoint: [0] };
    const f = b.addTensor({ name: 'f', dtype: 'float32', shape: [1, 10] });
    const x = b.addTensor({
      name: 'x',
      dtype: 'int8',
      shape: [2, 4, 4, 10],
      quantization: q,
      shapeSignature: [-1, 4, 4, 10],
    });
    const y = b.addTensor({ name: 'y', dtype: 'int8', shape: [1, 20000], quantization: q });
    const z = b.addTensor({ name: 'z', dtype: 'int8', shape: [1, 20000], quantization: q });
    const p = b.addTensor({ name: 'p', dtype: 'int8', shape: [1, 2, 2, 10], quantization: q });
    b.addOp({ op: 'RELU', inputs: [f], outputs: [f] });
    b.addOp({
      op: 'MAX_POOL_2D',
      inputs: [x],
      outputs: [p],
      options: { fusedActivationFunction: 'RELU', filterWidth: 2, filterHeight: 2 },
    });
    b.addOp({ op: 'SOFTMAX', inputs: [y], outputs: [z] });
    b.addOp({ op: 'GATHER_ND', inputs: [y], outputs: [z] });
    const report = checkEdgeTpuCompatibility(b.build());
    const reasons = report.unsupported.map((u) => `${u.index} ${u.reason}`);
    expect(reasons).toContain('0 tensor f is float32 (the Edge TPU needs uint8/int8)');
    expect(reasons).toContain('1 tensor x has a dynamic shape');
    expect(reasons).toContain('1 tensor x [2,4,4,10] has more than 3 dimensions larger than 1');
    expect(reasons).toContain('1 fused activation RELU is not supported on MAX_POOL_2D');
    expect(reasons).toContain('2 SOFTMAX input has 20000 elements (at most 16000)');
    expect(reasons).toContain('3 GATHER_ND is not supported by the Edge TPU');
    expect(report.compatible).toBe(false);
  });
});
