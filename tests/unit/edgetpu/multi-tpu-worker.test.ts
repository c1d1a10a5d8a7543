import { describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { WorkerDevices, type DeviceInfo } from '../../../src/worker/devices.ts';
import { WorkerPipelines } from '../../../src/worker/pipelines.ts';
import { coralFarm } from '../../emulator/multi.ts';
import type { FixtureName } from '../../support/fixtures.ts';

const CO_A: FixtureName = 'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite';
const CO_B: FixtureName = 'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite';

describe("the worker's device list over the pool", () => {
  it('lists every Coral with state, clock, placed and resident models, swaps; pushes plug changes', async () => {
    const farm = await coralFarm(2, [CO_A, CO_B]);
    const devices = new WorkerDevices(farm.usb);
    expect((await devices.refresh()).map((d) => [d.id, d.state, d.clock, d.models])).toEqual([
      ['usb:0', 'ready', null, []],
      ['usb:1', 'ready', null, []],
    ]);
    const seen: DeviceInfo[][] = [];
    const unwatch = devices.watch((list) => seen.push(list));
    const pool = devices.pool!;
    const a = await pool.load(farm.bytes.get(CO_A)!, { name: 'a' });
    const b = await pool.load(farm.bytes.get(CO_B)!, { name: 'b' });
    await a.run([new Uint8Array(a.inputs[0]!.sizeBytes)]);
    await b.run([new Uint8Array(b.inputs[0]!.sizeBytes)]);
    const [usb0, usb1] = devices.list();
    expect(usb0).toMatchObject({
      id: 'usb:0',
      state: 'ready',
      clock: 'high',
      models: ['a', 'b'],
      inferences: 2,
      parameterUploads: 2,
      swaps: 0,
    });
    expect(usb0!.residentModels.sort()).toEqual(['a', 'b']);
    expect(usb1).toMatchObject({ models: [], inferences: 0 });
    expect(seen.length).toBeGreaterThan(0); // placements are pushed at once
    const before = seen.length;
    farm.corals[0]!.unplug();
    expect(seen.length).toBeGreaterThan(before);
    expect(seen.at(-1)!.map((d) => d.id)).toEqual(['usb:1']);
    await expect(a.run([new Uint8Array(1)])).rejects.toMatchObject({ reason: 'device-gone' });
    farm.corals[0]!.replug();
    expect(seen.at(-1)!.map((d) => `${d.id} ${d.state}`)).toEqual(['usb:0 needs-firmware', 'usb:1 ready']);
    unwatch();
    await pool.close();
  });
});

describe('segment pipelines in the worker', () => {
  it('loads the SSD segments over two TPUs, pushes and pops in order, reports stats, closes', async () => {
    const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
    const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';
    const farm = await coralFarm(2, [SEG0, SEG1]);
    const devices = new WorkerDevices(farm.usb);
    const pipelines = new WorkerPipelines(devices.pool, () => nodeLiteRtLoader);
    const info = await pipelines.load([SEG1, SEG0].map((name) => ({ name, bytes: farm.bytes.get(name)! })));
    expect(info).toMatchObject({ id: 'p1', segments: [SEG0, SEG1], devices: ['usb:0', 'usb:1'] });
    const frames = [0, 1, 2].map((k) => new Uint8Array(300 * 300 * 3).fill(k * 40));
    for (const f of frames) await pipelines.push(info.id, [f]);
    const outs = [];
    for (let k = 0; k < frames.length; k++) outs.push(await pipelines.pop(info.id));
    for (const out of outs) {
      expect(out.map((t) => t.length)).toEqual([80, 20, 20, 1]);
      expect(out[3]![0]).toBeLessThanOrEqual(20);
    }
    expect([...outs[0]![0]!]).not.toEqual([...outs[1]![0]!]); // boxes differ frame to frame
    expect(pipelines.stats(info.id).map((s) => [s.deviceId, s.runs])).toEqual([
      ['usb:0', 3],
      ['usb:1', 3],
    ]);
    expect(devices.list().map((d) => d.models.length)).toEqual([1, 1]);
    await pipelines.close(info.id);
    expect(devices.list().map((d) => d.models.length)).toEqual([0, 0]);
    expect(() => pipelines.stats(info.id)).toThrow(/no pipeline/);
    await devices.pool!.close();
    expect(farm.violations()).toEqual([]);
  }, 60_000);
});
