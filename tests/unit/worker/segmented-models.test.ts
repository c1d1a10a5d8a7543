/**
 * A model compiled in segments loaded as one model in the worker (TpuEngines.loadSegments): the SSD
 * MobileNet v2 COCO two-segment set on virtual Corals. No CPU version of these segments exists, so
 * the emulator's outputs are synthetic (deterministic in the input bytes): the checks compare the
 * pipelined model with the same segments run one after the other by hand, frame by frame. A test
 * double: nothing here is a hardware result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { DevicePool } from '../../../src/lib/edgetpu/index.ts';
import { LiteRtRuntime } from '../../../src/lib/runtime/index.ts';
import type { DetectedObject, RgbaImage } from '../../../src/lib/tasks/index.ts';
import { WorkerEngines, type DetectResult } from '../../../src/worker/engines.ts';
import { TpuEngines } from '../../../src/worker/tpu-engines.ts';
import { coralFarm, type CoralFarm } from '../../emulator/multi.ts';
import type { FixtureName } from '../../support/fixtures.ts';
import { segmentSetDetections } from '../../support/segment-detections.ts';
import { cpuEngine, fixtureImage } from '../runtime/support.ts';

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';
const IMAGES: FixtureName[] = ['cat.bmp', 'bird.bmp', 'grace_hopper.bmp'];

const runtime = new LiteRtRuntime(nodeLiteRtLoader);
let farm: CoralFarm;
let files: { name: string; bytes: Uint8Array }[];
let images: RgbaImage[];
/** What the detect task gives for each image with both segments run one after the other on usb:2. */
let expected: DetectedObject[][];

beforeAll(async () => {
  farm = await coralFarm(3, [SEG0, SEG1]);
  files = [SEG1, SEG0].map((name) => ({ name, bytes: farm.bytes.get(name)! })); // out of order on purpose
  images = await Promise.all(IMAGES.map(fixtureImage));
  expected = await segmentSetDetections(farm, [SEG0, SEG1], images, { device: 'usb:2', runtime });
}, 120_000);

afterAll(() => runtime.discard());

async function engines(farmUsb = farm.usb) {
  const pool = new DevicePool(farmUsb);
  await pool.refresh();
  return { pool, engines: new TpuEngines(pool, new WorkerEngines(() => cpuEngine()), () => runtime) };
}

describe('a segment set loaded as one model in the worker', () => {
  it('the reference detects something, and something different per image', () => {
    expect(expected.map((objects) => objects.length > 0)).toEqual([true, true, true]);
    expect(new Set(expected.map((o) => JSON.stringify(o))).size).toBe(3);
  });

  it('runs pipelined on usb:0 and usb:1 under automatic, results in call order while frames overlap', async () => {
    const { pool, engines: tpu } = await engines();
    const info = await tpu.loadSegments(files, { engine: 'auto' });
    expect(info).toMatchObject({
      engine: 'edgetpu-pipeline',
      device: 'usb:0,usb:1',
      segments: [
        { segment: SEG0, device: 'usb:0' },
        { segment: SEG1, device: 'usb:1' },
      ],
      decision: { kind: 'edgetpu', label: 'Coral usb:0 + usb:1', how: 'preferred' },
    });
    expect(info.inputs.map((t) => t.shape)).toEqual([[1, 300, 300, 3]]);
    expect(tpu.lanes(info.id)).toBe(2); // camera frames overlap: one in flight per TPU
    expect(info.outputs.map((t) => t.name)).toEqual([
      'TFLite_Detection_PostProcess',
      'TFLite_Detection_PostProcess:1',
      'TFLite_Detection_PostProcess:2',
      'TFLite_Detection_PostProcess:3',
    ]);
    // Three frames at once, twice over: each call gets its own image's detections.
    const order = [0, 1, 2, 2, 1, 0];
    const results = await Promise.all(order.map((i) => tpu.runTask(info.id, images[i]!, 'detect')));
    results.forEach((result, k) => {
      expect(result).toMatchObject({ task: 'detect', engine: 'edgetpu-pipeline', device: 'usb:0,usb:1' });
      expect((result as DetectResult).objects).toEqual(expected[order[k]!]);
    });
    expect(pool.devices().map((d) => [d.id, d.models, d.inferences])).toEqual([
      ['usb:0', [SEG0], 6],
      ['usb:1', [SEG1], 6],
      ['usb:2', [], 0],
    ]);
    expect(tpu.unload(info.id)).toBe(true);
    await expect.poll(() => pool.devices().map((d) => d.models.length)).toEqual([0, 0, 0]);
    await pool.close();
    expect(farm.violations()).toEqual([]);
  });

  it('runs every segment in turn on one TPU when that TPU is chosen', async () => {
    const { pool, engines: tpu } = await engines();
    const info = await tpu.loadSegments(files, { engine: 'usb:2' });
    expect(info).toMatchObject({
      device: 'usb:2',
      segments: [
        { segment: SEG0, device: 'usb:2' },
        { segment: SEG1, device: 'usb:2' },
      ],
      decision: { label: 'Coral usb:2', how: 'requested' },
    });
    expect(tpu.lanes(info.id)).toBe(1);
    for (const [i, image] of images.entries()) {
      expect(((await tpu.runTask(info.id, image, 'detect')) as DetectResult).objects).toEqual(expected[i]);
    }
    const usb2 = pool.devices().find((d) => d.id === 'usb:2')!;
    expect([...usb2.models].sort()).toEqual([SEG0, SEG1]);
    expect(usb2.inferences).toBe(6);
    tpu.unload(info.id);
    await pool.close();
  });

  it('refuses WASM, the GPU and a TPU-less automatic with the typed reason, and never falls back', async () => {
    const { pool, engines: tpu } = await engines();
    for (const engine of ['wasm', 'cpu', 'webgpu', 'webnn']) {
      await expect(tpu.loadSegments(files, { engine })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        reason: 'segmented-needs-tpu',
        message: expect.stringContaining('cannot run this model: compiled in segments: no CPU twin of segments'),
      });
    }
    expect(pool.devices().every((d) => d.models.length === 0)).toBe(true);
    const info = await tpu.loadSegments(files, { engine: 'auto' });
    await expect(tpu.fallBackToWasm(info.id, 'unplugged')).rejects.toMatchObject({
      reason: 'segmented-needs-tpu',
      message: expect.stringContaining('usb:0,usb:1 is not available (unplugged)'),
    });
    tpu.unload(info.id);
    await pool.close();

    const { EmulatedUsb } = await import('../../emulator/usb-host.ts');
    const { pool: empty, engines: none } = await engines(new EmulatedUsb());
    await expect(none.loadSegments(files, { engine: 'auto' })).rejects.toMatchObject({
      reason: 'segmented-needs-tpu',
      message:
        'This model needs an Edge TPU: compiled in segments: no CPU twin of segments (no Edge TPU is connected). Run it on a Coral.',
    });
    await empty.close();
  });

  it('refuses an incomplete set before placing anything', async () => {
    const { pool, engines: tpu } = await engines();
    await expect(tpu.loadSegments([files[0]!], { engine: 'auto' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'segment-missing',
      message: 'segment(s) 0 of 2 are missing',
    });
    expect(pool.devices().every((d) => d.models.length === 0)).toBe(true);
    await pool.close();
  });
});
