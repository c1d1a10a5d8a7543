/**
 * Pairing a compiled model with its CPU twin among stored files, on the real fixtures: by name,
 * else by I/O signature, never a wrong or ambiguous twin.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModel } from '../../../src/lib/tflite/index.ts';
import {
  checkCpuTwin,
  describeSignature,
  findCpuTwin,
  isCompiledForEdgeTpu,
  modelSignature,
  twinFileName,
  type TwinCandidate,
} from '../../../src/lib/zoo/cpu-twin.ts';
import { fixturePath, type FixtureName } from '../../support/fixtures.ts';

async function candidate(fixture: FixtureName, name: string = fixture): Promise<TwinCandidate> {
  const model = readModel(new Uint8Array(readFileSync(await fixturePath(fixture))));
  return { key: name, name, compiled: isCompiledForEdgeTpu(model), signature: modelSignature(model) };
}

const c: Record<string, TwinCandidate> = {};
beforeAll(async () => {
  for (const name of [
    'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
    'mobilenet_v1_0.25_128_quant.tflite',
    'mobilenet_v1_0.5_160_quant.tflite',
    'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
    'fish_ssd_detect_edgetpu.tflite',
    'fish_ssd_detect.tflite',
    'keras_lstm_mnist_ptq_edgetpu.tflite',
    'keras_lstm_mnist_ptq.tflite',
    'split_concat_edgetpu.tflite',
    'split_concat.tflite',
  ] as const)
    c[name] = await candidate(name);
});

describe('CPU twin pairing', () => {
  it('maps x_edgetpu.tflite and x-edgetpu.tflite to x.tflite, nothing else', () => {
    expect(twinFileName('mobilenet_v1_0.25_128_quant_edgetpu.tflite')).toBe('mobilenet_v1_0.25_128_quant.tflite');
    expect(twinFileName('testconv1-edgetpu.tflite')).toBe('testconv1.tflite');
    expect(twinFileName('mobilenet.tflite')).toBeUndefined();
    expect(twinFileName('_edgetpu.tflite')).toBeUndefined();
  });

  it('pairs by name among every stored file, also with other CPU models of the same signature', () => {
    const all = Object.values(c);
    for (const base of ['mobilenet_v1_0.25_128_quant', 'keras_lstm_mnist_ptq', 'split_concat', 'fish_ssd_detect']) {
      const match = findCpuTwin(c[`${base}_edgetpu.tflite`]!, all);
      expect(match?.by, base).toBe('name');
      expect(match?.twin.name, base).toBe(`${base}.tflite`);
    }
  });

  it('pairs by signature when the names do not say (a co-compiled model, a renamed twin)', () => {
    const cocompiled = c['mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite']!;
    const match = findCpuTwin(cocompiled, Object.values(c));
    expect(match).toEqual({ twin: c['mobilenet_v1_0.25_128_quant.tflite'], by: 'signature' });
    const renamed = { ...c['keras_lstm_mnist_ptq.tflite']!, key: 'mnist-cpu.tflite', name: 'mnist-cpu.tflite' };
    expect(
      findCpuTwin(c['keras_lstm_mnist_ptq_edgetpu.tflite']!, [renamed, c['mobilenet_v1_0.5_160_quant.tflite']!]),
    ).toEqual({ twin: renamed, by: 'signature' });
  });

  it('pairs with nothing rather than a wrong or ambiguous twin', () => {
    const compiled = c['mobilenet_v1_0.25_128_quant_edgetpu.tflite']!;
    // Named like the twin but with 160×160 inputs: refused, and no other file fits.
    const impostor = { ...c['mobilenet_v1_0.5_160_quant.tflite']!, name: 'mobilenet_v1_0.25_128_quant.tflite' };
    expect(findCpuTwin(compiled, [impostor, c['keras_lstm_mnist_ptq.tflite']!])).toBeUndefined();
    // Two CPU files with the same signature and neither named like the compiled one.
    const a = { ...c['keras_lstm_mnist_ptq.tflite']!, key: 'a', name: 'a.tflite' };
    const b = { ...c['keras_lstm_mnist_ptq.tflite']!, key: 'b', name: 'b.tflite' };
    expect(findCpuTwin(c['keras_lstm_mnist_ptq_edgetpu.tflite']!, [a, b])).toBeUndefined();
    // A compiled file is never a CPU twin, even of another compiled file with its signature.
    const cocompiled = c['mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite']!;
    expect(findCpuTwin(compiled, [cocompiled])).toBeUndefined();
  });

  it('a mismatch names the first difference and both signatures', () => {
    const compiled = c['mobilenet_v1_0.25_128_quant_edgetpu.tflite']!;
    const other = c['keras_lstm_mnist_ptq.tflite']!;
    expect(() => checkCpuTwin(compiled, compiled)).not.toThrow();
    expect(() => checkCpuTwin(compiled, other)).toThrow(
      `keras_lstm_mnist_ptq.tflite is not the CPU twin of mobilenet_v1_0.25_128_quant_edgetpu.tflite: input "input" is named "serving_default_x:0".\n` +
        `  mobilenet_v1_0.25_128_quant_edgetpu.tflite: ${describeSignature(compiled.signature)}\n` +
        `  keras_lstm_mnist_ptq.tflite: ${describeSignature(other.signature)}`,
    );
    expect(describeSignature(other.signature)).toBe(
      'serving_default_x:0 uint8[1,28,28] q(0.003921568859368563, 0) → StatefulPartitionedCall:0 uint8[1,10] q(0.00390625, 0)',
    );
    // Same shapes and names, other quantization: still not a twin.
    const requantized = structuredClone(compiled);
    requantized.signature.outputs[0]!.scale = [0.5];
    expect(() => checkCpuTwin(compiled, { ...requantized, name: basename('x.tflite') })).toThrow(
      'output "MobilenetV1/Predictions/Reshape_1" is quantized differently',
    );
  });
});
