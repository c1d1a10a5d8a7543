/**
 * The composite engine's CPU parts around the TPU op, checked now with a twin-backed stand-in for
 * the TPU op (tests/unit/runtime/twin-tpu-runner.ts): [CPU ops before] → TPU op → [CPU ops after]
 * must give what a full CPU run of the twin gives.
 */
import { describe, expect, it } from 'vitest';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';
import { cpuEngine } from './support.ts';
import { twinTpuRunner } from './twin-tpu-runner.ts';

function patternInput(n: number): Uint8Array {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >> 7)) % 256;
  return data;
}

async function compare(compiled: FixtureName, twin: FixtureName) {
  const twinBytes = await readFixture(twin);
  const tpu = twinTpuRunner(twinBytes);
  const composite = await cpuEngine({ tpu }).load(await readFixture(compiled));
  const cpu = await cpuEngine().load(twinBytes);
  const input = patternInput(composite.inputs[0]!.shape.reduce((a, b) => a * b, 1));
  const a = await composite.run([input]);
  const b = await cpu.run([input]);
  expect(tpu.calls).toBe(1);
  return { composite, a, b };
}

describe('composite engine: CPU ops around the Edge TPU op', () => {
  it('fish SSD: TPU op → Reef post-processing equals the full CPU run', async () => {
    const { composite, a, b } = await compare('fish_ssd_detect_edgetpu.tflite', 'fish_ssd_detect.tflite');
    expect(composite.engine).toBe('edgetpu+reef');
    expect(composite.device).toBe('twin+cpu');
    a.outputs.forEach((o, i) => expect([...o.data]).toEqual([...b.outputs[i]!.data]));
  });

  it('DeepLab: TPU op → LiteRT tail → Reef ARG_MAX equals the full CPU run', async () => {
    const { composite, a, b } = await compare(
      'deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite',
      'deeplabv3_mnv2_dm05_pascal_quant.tflite',
    );
    expect(composite.engine).toBe('edgetpu+litert-wasm+reef');
    const x = a.outputs[0]!.data;
    const y = b.outputs[0]!.data;
    let same = 0;
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
    // The compiled tail is the twin's ops; only rounding in resize may differ at a few borders.
    expect(same / x.length).toBeGreaterThan(0.999);
  });

  it('MoveNet: CPU ops before and after the TPU op equal the full CPU run', async () => {
    const { composite, a, b } = await compare(
      'movenet_single_pose_lightning_ptq_edgetpu.tflite',
      'movenet_single_pose_lightning_ptq.tflite',
    );
    expect(composite.engine).toBe('edgetpu+litert-wasm');
    const x = a.outputs[0]!.data as Float32Array;
    const y = b.outputs[0]!.data as Float32Array;
    for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i]!, 4);
  });
});
