/**
 * The composite engine's CPU parts around the TPU op, checked now with a twin-backed stand-in for
 * the TPU op (tests/unit/runtime/twin-tpu-runner.ts): [CPU ops before] → TPU op → [CPU ops after]
 * must give what a full CPU run of the twin gives.
 */
import { describe, expect, it } from 'vitest';
import type { EdgeTpuOpRunner } from '../../../src/lib/runtime/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { readFixture, readFixtureText, type FixtureName } from '../../support/fixtures.ts';
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

  it('DeepLab: TPU op → LiteRT tail (ARG_MAX narrowed to INT32) equals the full CPU run', async () => {
    const { composite, a, b } = await compare(
      'deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite',
      'deeplabv3_mnv2_dm05_pascal_quant.tflite',
    );
    expect(composite.engine).toBe('edgetpu+litert-wasm');
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

describe('composite engine: SSD COCO pipeline segment 1 (TPU op → DEQUANTIZE ×2 → post-processing)', () => {
  it('turns the TPU op’s box encodings and class scores into COCO detections', async () => {
    const bytes = await readFixture('ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite');
    const model = readModel(bytes);
    const anchors = new Float32Array(model.buffers[model.subgraphs[0]!.tensors[0]!.buffer]!.data.slice().buffer);
    expect(anchors.length).toBe(1917 * 4);
    // Stand-in TPU outputs: zero box offsets (the quantized zero point, 179), one confident class.
    const ANCHOR = 1000;
    const CLASS_COLUMN = 18; // column 0 is background, so this is class id 17 ("dog" in coco_labels.txt)
    const tpu: EdgeTpuOpRunner = {
      device: 'stand-in',
      async prepare(op) {
        expect(op.outputs.map((o) => o.shape)).toEqual([
          [1, 1917, 4],
          [1, 1917, 91],
        ]);
        return {
          async run() {
            const boxes = new Uint8Array(1917 * 4).fill(179);
            const scores = new Uint8Array(1917 * 91);
            scores[ANCHOR * 91 + CLASS_COLUMN] = 255;
            return [boxes, scores];
          },
          dispose() {},
        };
      },
    };
    const segment = await cpuEngine({ tpu }).load(bytes);
    expect(segment.engine).toBe('edgetpu+litert-wasm+reef');
    const inputs = segment.inputs.map((i) => new Uint8Array(i.shape.reduce((a, b) => a * b, 1)));
    const { outputs } = await segment.run(inputs);
    expect(outputs[3]!.data[0]).toBe(1);
    expect(outputs[1]!.data[0]).toBe(17);
    expect(outputs[2]!.data[0]).toBeCloseTo(255 * 0.00390625, 5);
    const [yc, xc, h, w] = anchors.subarray(ANCHOR * 4, ANCHOR * 4 + 4) as unknown as number[];
    const box = [...(outputs[0]!.data as Float32Array).subarray(0, 4)];
    // Box encodings dequantize to ~0 (179 is the zero point): the box is the anchor itself.
    [yc! - h! / 2, xc! - w! / 2, yc! + h! / 2, xc! + w! / 2].forEach((v, i) => expect(box[i]).toBeCloseTo(v, 4));
    const labels = (await readFixtureText('coco_labels.txt')).split('\n');
    expect(labels[17]).toBe('dog');
  });
});
