import { afterEach, describe, expect, it } from 'vitest';
import { DevicePool, type PooledModel } from '../../../src/lib/edgetpu/devices/device-pool.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { decodeBmp, imageToTensor } from '../../../src/lib/tasks/index.ts';
import { coralFarm, type CoralFarm } from '../../emulator/multi.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

const MOBILENET: FixtureName = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
const SPLIT_CONCAT: FixtureName = 'split_concat_edgetpu.tflite';
const TESTCONV: FixtureName = 'testconv1-edgetpu.tflite';
const CO_A: FixtureName = 'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite';
const CO_B: FixtureName = 'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite';

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}

function inputsFor(model: PooledModel, seed: number): Uint8Array[] {
  return model.inputs.map((spec, i) => pattern(spec.sizeBytes, seed * 5 + i));
}

/** Runs `model` and checks its outputs are what the coral it is placed on computed for those inputs. */
async function runChecked(farm: CoralFarm, model: PooledModel, seed: number): Promise<void> {
  const coral = farm.corals[Number(model.deviceId!.slice(4))]!;
  const outputs = await model.run(inputsFor(model, seed));
  // The device's own answer in user order, before it scattered it into its tiles.
  const expected = coral.app.lastOutputs;
  for (const out of outputs) {
    const got = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
    expect(Buffer.from(got).equals(Buffer.from(expected.get(out.name)!))).toBe(true);
  }
}

let pools: DevicePool[] = [];
async function poolOn(farm: CoralFarm): Promise<DevicePool> {
  const pool = new DevicePool(farm.usb);
  pools.push(pool);
  await pool.refresh();
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

describe('several Edge TPUs on the virtual Coral', () => {
  it('places 3 models on 3 TPUs automatically, refuses a 4th without a device, swaps when told to share', async () => {
    const farm = await coralFarm(3, [MOBILENET, SPLIT_CONCAT, TESTCONV, CO_B]);
    const pool = await poolOn(farm);
    expect(pool.devices().map((d) => [d.id, d.personality, d.speed, d.state])).toEqual([
      ['usb:0', 'app', 'super', 'idle'],
      ['usb:1', 'app', 'super', 'idle'],
      ['usb:2', 'app', 'super', 'idle'],
    ]);
    const a = await pool.load(farm.bytes.get(MOBILENET)!, { name: 'mobilenet' });
    const b = await pool.load(farm.bytes.get(SPLIT_CONCAT)!, { name: 'split-concat' });
    const c = await pool.load(farm.bytes.get(TESTCONV)!, { name: 'testconv1' });
    expect([a.deviceId, b.deviceId, c.deviceId]).toEqual(['usb:0', 'usb:1', 'usb:2']);
    for (let i = 0; i < 3; i++) for (const m of [a, b, c]) await runChecked(farm, m, i);
    // Each model ran on its own stick only.
    expect(farm.corals.map((coral) => coral.app.stats.requests)).toEqual([4, 4, 3]); // + one parameter-caching run each (testconv1 is stand-alone)
    expect(pool.devices().map((d) => d.models)).toEqual([['mobilenet'], ['split-concat'], ['testconv1']]);
    expect(pool.devices().map((d) => d.swaps)).toEqual([0, 0, 0]);

    const fourth = farm.bytes.get(CO_B)!;
    const refused = await pool.load(fourth, { name: 'mobilenet-0.5' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReefError);
    expect(refused).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'no-free-tpu' });
    const message = (refused as ReefError).message;
    expect(message).toContain('usb:0: mobilenet; usb:1: split-concat; usb:2: testconv1');
    expect(message).toMatch(/explicit device such as "usb:0"/);
    expect(message).toMatch(/swapped/);
    expect(message).toMatch(/plug in another Coral/);

    // Explicitly sharing usb:1 with split-concat: allowed, and every switch swaps parameters.
    const d = await pool.load(fourth, { name: 'mobilenet-0.5', device: 'usb:1' });
    expect(d.deviceId).toBe('usb:1');
    expect(d.placement).toEqual({ deviceId: 'usb:1', sharesCacheWith: [], swapsWith: ['split-concat'] });
    for (let i = 0; i < 4; i++) {
      await runChecked(farm, d, i);
      await runChecked(farm, b, i + 10);
    }
    const usb1 = pool.device('usb:1')!;
    expect(usb1.models).toEqual(['split-concat', 'mobilenet-0.5']);
    // split-concat's parameters were on the chip before d arrived: all 4 of its uploads are swaps;
    // d's first upload is not (never there before), its other 3 are.
    expect(b.swaps).toBe(4);
    expect(d.swaps).toBe(3);
    expect(usb1.swaps).toBe(7);
    expect(usb1.parameterUploads).toBe(1 + 8);
    expect(farm.corals[1]!.app.stats.parameterUploads.get(CO_B)).toBe(4);
    expect(farm.corals[1]!.app.stats.parameterUploads.get(SPLIT_CONCAT)).toBe(5);
    expect(usb1.residentModels).toEqual(['split-concat']);
    expect(pool.devices().map((x) => x.swaps)).toEqual([0, 7, 0]);
    expect(farm.violations()).toEqual([]);
  });

  it('rejects unknown or malformed devices and a pool without TPUs with typed errors', async () => {
    const farm = await coralFarm(1, [TESTCONV]);
    const pool = await poolOn(farm);
    const bytes = farm.bytes.get(TESTCONV)!;
    await expect(pool.load(bytes, { device: 'usb:7' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      reason: 'unknown-device',
    });
    await expect(pool.load(bytes, { device: 'pci:0' })).rejects.toMatchObject({ reason: 'bad-device-id' });
    farm.corals[0]!.unplug();
    await expect(pool.load(bytes)).rejects.toMatchObject({ code: 'UNAVAILABLE', reason: 'no-tpu' });
    farm.corals[0]!.replug(); // firmware is lost on unplug: back in DFU
    expect(pool.devices()).toMatchObject([{ id: 'usb:0', personality: 'dfu', state: 'needs-firmware' }]);
    await expect(pool.load(bytes)).rejects.toMatchObject({ reason: 'needs-firmware' });
  });

  it('shows a USB 2 link with a warning', async () => {
    const farm = await coralFarm(2, [TESTCONV], { speed: 'high' });
    const pool = await poolOn(farm);
    const [first] = pool.devices();
    expect(first!.speed).toBe('high');
    expect(first!.speedWarning).toMatch(/USB 2.*slower/);
  });

  it('keeps two co-compiled models on one TPU with 0 swaps over 100 alternating runs, outputs correct', async () => {
    const farm = await coralFarm(3, [CO_A, CO_B], {
      twins: { [CO_A]: 'mobilenet_v1_0.25_128_quant.tflite', [CO_B]: 'mobilenet_v1_0.5_160_quant.tflite' },
    });
    const pool = await poolOn(farm);
    const a = await pool.load(farm.bytes.get(CO_A)!, { name: '0.25_128' });
    const b = await pool.load(farm.bytes.get(CO_B)!, { name: '0.5_160' });
    // Automatic placement puts the co-compiled partner next to its pair, not on a free TPU.
    expect([a.deviceId, b.deviceId]).toEqual(['usb:0', 'usb:0']);
    expect(b.placement?.sharesCacheWith).toEqual(['0.25_128']);
    expect(a.cachingToken).toBe(b.cachingToken);

    const labels = new TextDecoder().decode(await readFixture('imagenet_labels.txt')).split('\n');
    const images = [decodeBmp(await readFixture('cat.bmp')), decodeBmp(await readFixture('bird.bmp'))];
    const tensor = (m: PooledModel, k: number) => {
      const spec = m.inputs[0]!;
      const info = {
        name: spec.name,
        dtype: 'uint8' as const,
        shape: [1, ...spec.shape],
        scale: spec.scale,
        zeroPoint: spec.zeroPoint,
      };
      return imageToTensor(images[k]!, info).data as Uint8Array;
    };
    const top = (data: ArrayLike<number>) => {
      let best = 0;
      for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
      return labels[best]!.trim();
    };
    const seen: string[] = [];
    for (let i = 0; i < 50; i++) {
      for (const m of [a, b]) {
        const [out] = await m.run([tensor(m, i % 2)]);
        expect(out!.data.length).toBe(1001);
        seen.push(top(out!.data));
      }
    }
    // Both twins see a cat in cat.bmp and a bird in bird.bmp: every answer belongs to its own model
    // and its own image, across the alternation.
    const catLike = /cat|tabby|lynx/i;
    for (let i = 0; i < seen.length; i += 4) {
      expect(seen[i]).toMatch(catLike);
      expect(seen[i + 1]).toMatch(catLike);
      expect(seen[i + 2]).not.toMatch(catLike);
      expect(seen[i + 3]).not.toMatch(catLike);
    }
    const usb0 = pool.device('usb:0')!;
    expect(usb0.swaps).toBe(0);
    expect(usb0.parameterUploads).toBe(2); // each model's parameters once, then both stay resident
    expect(usb0.inferences).toBe(100);
    expect(usb0.residentModels.sort()).toEqual(['0.25_128', '0.5_160']);
    expect(usb0.residentToken).toBe(a.cachingToken);
    expect(farm.corals[0]!.app.stats.redundantParameterUploads).toBe(0);
    expect(farm.corals.slice(1).map((c) => c.app.stats.requests)).toEqual([0, 0]);
    expect(farm.violations()).toEqual([]);
  });

  it('fails the runs of an unplugged TPU with a typed error while the others continue', async () => {
    const farm = await coralFarm(3, [MOBILENET, SPLIT_CONCAT, TESTCONV]);
    const pool = await poolOn(farm);
    const events: string[] = [];
    pool.subscribe((e) => {
      if (e.type === 'added' || e.type === 'removed' || e.type === 'orphaned')
        events.push(`${e.type} ${e.device}${e.type === 'orphaned' ? ` ${e.model}` : ''}`);
    });
    const models = [
      await pool.load(farm.bytes.get(MOBILENET)!, { name: 'a' }),
      await pool.load(farm.bytes.get(SPLIT_CONCAT)!, { name: 'b' }),
      await pool.load(farm.bytes.get(TESTCONV)!, { name: 'c' }),
    ];
    const RUNS = 20;
    // Each model keeps 4 runs in flight; b's stick is pulled when its 9th run is about to start.
    const stream = async (m: PooledModel) => {
      const runs: Promise<unknown>[] = [];
      for (let i = 0; i < RUNS; i++) {
        if (i >= 4) await runs[i - 4]!.catch(() => undefined);
        if (m.name === 'b' && i === 8) farm.corals[1]!.unplug();
        runs.push(m.run(inputsFor(m, i)));
      }
      return Promise.allSettled(runs);
    };
    const [ra, rb, rc] = await Promise.all(models.map(stream));
    expect(ra!.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(rc!.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(rb!.slice(0, 5).map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
    // Runs 5–7 were queued or in flight when the stick went: they fail too, none hangs.
    const failed = rb!.slice(5);
    expect(failed.map((r) => r.status)).toEqual(Array(RUNS - 5).fill('rejected'));
    for (const f of failed) {
      const reason = (f as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(ReefError);
      expect(reason).toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
    }
    expect(events).toEqual(['orphaned usb:1 b', 'removed usb:1']);
    const b = models[1]!;
    expect(b.state).toBe('orphaned');
    await expect(b.run(inputsFor(b, 0))).rejects.toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
    expect(pool.devices().map((d) => d.id)).toEqual(['usb:0', 'usb:2']);

    // Re-placing: no free TPU is left, so automatic placement explains; an explicit device works.
    await expect(b.place()).rejects.toMatchObject({ reason: 'no-free-tpu' });
    await b.place({ device: 'usb:2' });
    expect(b.deviceId).toBe('usb:2');
    await runChecked(farm, b, 3);
    await runChecked(farm, models[2]!, 4);
    expect(pool.device('usb:2')!.models).toEqual(['c', 'b']);
    // The stick comes back in DFU (firmware lives in RAM) under the lowest free id.
    farm.corals[1]!.replug();
    expect(pool.devices().map((d) => `${d.id} ${d.state}`)).toEqual([
      'usb:0 idle',
      'usb:1 needs-firmware',
      'usb:2 idle',
    ]);
    expect(farm.corals[0]!.violations).toEqual([]);
    expect(farm.corals[2]!.violations).toEqual([]);
  });
  it('a fault on one TPU fails only its run; the driver recovers and the re-upload is not a swap', async () => {
    const farm = await coralFarm(2, [MOBILENET, SPLIT_CONCAT]);
    const pool = await poolOn(farm);
    const a = await pool.load(farm.bytes.get(MOBILENET)!, { name: 'a' });
    const b = await pool.load(farm.bytes.get(SPLIT_CONCAT)!, { name: 'b' });
    await runChecked(farm, a, 0);
    await runChecked(farm, b, 0);
    farm.corals[0]!.stallNext({ type: 'bulk', direction: 'out' });
    const [ra, rb] = await Promise.allSettled([a.run(inputsFor(a, 1)), b.run(inputsFor(b, 1))]);
    expect(ra).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE', reason: 'stall' } });
    expect(rb!.status).toBe('fulfilled');
    await runChecked(farm, a, 2); // reset and reopened: parameters uploaded again
    expect(pool.devices().map((d) => [d.id, d.state, d.parameterUploads, d.swaps])).toEqual([
      ['usb:0', 'idle', 2, 0],
      ['usb:1', 'idle', 1, 0],
    ]);
    expect(farm.violations()).toEqual([]);
  });
});
