import { describe, expect, it } from 'vitest';
import { WorkerDevices, type DeviceInfo } from '../../../src/worker/devices.ts';
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
