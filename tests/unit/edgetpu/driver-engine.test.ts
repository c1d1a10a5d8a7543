/**
 * Compiled models end to end through the composite engine (CPU ops before/after the TPU op) with
 * the Edge TPU op on the driver and the virtual Coral, whose TPU op is computed by the model's CPU
 * twin in LiteRT.js. The whole result must equal running the twin on the CPU.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { openEdgeTpu } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { EdgeTpuEngine, WasmEngine, type TensorArray } from '../../../src/lib/runtime/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';
import { readEmulatedModel } from '../../emulator/executable-model.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';

const cpu = new WasmEngine(nodeLiteRtLoader);
afterAll(() => cpu.dispose());

function pattern(n: number, seed: number, dtype: string): TensorArray {
  const bytes = new Uint8Array(n * (dtype === 'float32' ? 4 : 1));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13 + seed * 101 + ((i >> 7) & 0x3f)) & 0xff;
  if (dtype === 'int8') return new Int8Array(bytes.buffer);
  return bytes;
}

const PAIRS: [FixtureName, FixtureName][] = [
  ['mobilenet_v1_0.25_128_quant_edgetpu.tflite', 'mobilenet_v1_0.25_128_quant.tflite'],
  [
    'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
    'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
  ],
  ['split_concat_edgetpu.tflite', 'split_concat.tflite'],
  ['fish_ssd_detect_edgetpu.tflite', 'fish_ssd_detect.tflite'],
  ['movenet_single_pose_lightning_ptq_edgetpu.tflite', 'movenet_single_pose_lightning_ptq.tflite'],
  [
    'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
    'mobilenet_v1_0.5_160_quant.tflite',
  ],
  ['deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite', 'deeplabv3_mnv2_dm05_pascal_quant.tflite'],
  // Variable LSTM state goes into the TPU op; nothing in the graph produces it (reset each run).
  ['keras_lstm_mnist_ptq_edgetpu.tflite', 'keras_lstm_mnist_ptq.tflite'],
];

describe('EdgeTpuEngine (composite) with the Edge TPU op on the virtual Coral', () => {
  it.each(PAIRS)('%s equals its CPU twin, parameters uploaded once', async (compiledName, twinName) => {
    const compiled = await readFixture(compiledName);
    const twin = await readFixture(twinName);
    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(compiledName, compiled, await twinCompute(compiled, twin));
    const tpu = await openEdgeTpu(coral.device!, { label: 'usb:0' });
    const engine = new EdgeTpuEngine(tpu, { loader: nodeLiteRtLoader, closeDevice: true });
    const onTpu = await engine.load(compiled);
    const onCpu = await cpu.load(twin);
    expect(onTpu.device).toContain('usb:0');
    for (let run = 0; run < 3; run++) {
      const inputs = onCpu.inputs.map((info, i) =>
        pattern(
          info.shape.reduce((a, b) => a * b, 1),
          run + i,
          info.dtype,
        ),
      );
      const a = await onTpu.run(inputs);
      const b = await onCpu.run(inputs);
      expect(a.outputs).toHaveLength(b.outputs.length);
      a.outputs.forEach((o, i) => {
        const want = b.outputs[i]!.data;
        if (o.data instanceof Float32Array) {
          const got = o.data;
          const maxDiff = got.reduce((m, v, k) => Math.max(m, Math.abs(v - (want[k] as number))), 0);
          expect(maxDiff).toBeLessThan(1e-4);
        } else {
          expect([...o.data].map(Number)).toEqual([...want].map(Number));
        }
      });
    }
    expect(tpu.stats.inferences).toBe(3);
    const uploads = readEmulatedModel(compiled).parameterCaching ? 1 : 0;
    expect(tpu.stats.parameterUploads).toBe(uploads);
    expect(coral.app.stats.parameterCachingRuns).toBe(uploads);
    expect(coral.violations).toEqual([]);
    onTpu.dispose();
    onCpu.dispose();
    engine.dispose();
    await engine.closed;
    expect(tpu.state).toBe('closed');
  });
});
