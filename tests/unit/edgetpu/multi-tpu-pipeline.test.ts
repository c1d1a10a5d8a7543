import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicePool, type PoolOpRunner } from '../../../src/lib/edgetpu/devices/device-pool.ts';
import {
  assignSegmentDevices,
  createSegmentPipeline,
  orderSegments,
  type SegmentArray,
  type SegmentPipeline,
} from '../../../src/lib/edgetpu/devices/pipeline.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { LiteRtRuntime, PartitionedEngine } from '../../../src/lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { coralFarm, type CoralFarm } from '../../emulator/multi.ts';
import type { FixtureName } from '../../support/fixtures.ts';

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';
const FRAMES = 50;
const FRAME_BYTES = 300 * 300 * 3;

/** Frame k: a distinct 300×300 RGB image (the emulator's outputs depend on every 7th byte). */
function frame(k: number): Uint8Array {
  const bytes = new Uint8Array(FRAME_BYTES);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * (k + 3) + k * 101) & 0xff;
  return bytes;
}

interface Detections {
  boxes: Float32Array;
  classes: Float32Array;
  scores: Float32Array;
  count: number;
}

function detections(outputs: readonly SegmentArray[]): Detections {
  const [boxes, classes, scores, count] = outputs as Float32Array[];
  return { boxes: boxes!, classes: classes!, scores: scores!, count: count![0]! };
}

const runtime = new LiteRtRuntime(nodeLiteRtLoader);
/** The composite engine runs each segment: its Edge TPU op through the pool, CPU ops in WASM. */
const loadSegment = (bytes: Uint8Array, tpu: PoolOpRunner) => new PartitionedEngine({ runtime, tpu }).load(bytes);

let farm: CoralFarm;
let sources: { name: string; bytes: Uint8Array }[];
/** Reference: both segments one after the other on a single TPU, no pipelining. */
let reference: Detections[];

beforeAll(async () => {
  farm = await coralFarm(3, [SEG0, SEG1]);
  sources = [SEG1, SEG0].map((name) => ({ name, bytes: farm.bytes.get(name)! })); // deliberately out of order
  const pool = new DevicePool(farm.usb);
  await pool.refresh();
  const seg0 = await loadSegment(farm.bytes.get(SEG0)!, pool.opRunner({ device: 'usb:2', name: 'seg0' }));
  const seg1 = await loadSegment(farm.bytes.get(SEG1)!, pool.opRunner({ device: 'usb:2', name: 'seg1' }));
  expect(seg1.engine).toBe('edgetpu+litert-wasm+reef'); // the CPU tail: DEQUANTIZE in LiteRT, post-process in Reef
  reference = [];
  for (let k = 0; k < FRAMES; k++) {
    const features = (await seg0.run([frame(k)])).outputs.map((t) => t.data);
    reference.push(detections((await seg1.run(features)).outputs.map((t) => t.data)));
  }
  seg0.dispose();
  seg1.dispose();
  await pool.close();
}, 60_000);

afterAll(() => runtime.discard());

describe('SSD MobileNet v2 COCO two-segment pipeline on virtual Corals', () => {
  it('reference run is meaningful: detections found, and they differ frame to frame', () => {
    expect(reference.some((d) => d.count > 0)).toBe(true);
    const distinct = new Set(reference.map((d) => `${d.count}:${d.scores.join(',')}:${d.classes.join(',')}`));
    expect(distinct.size).toBe(FRAMES);
    for (const d of reference) {
      expect(d.boxes.length).toBe(20 * 4);
      expect(d.classes.length).toBe(20);
      expect(d.count).toBeLessThanOrEqual(20);
    }
  });

  it('gives the same detections on 2 TPUs as both segments in sequence on one, 50 frames in order', async () => {
    const pool = new DevicePool(farm.usb);
    await pool.refresh();
    const before = farm.corals.map((c) => c.app.stats.requests);
    const pipeline = await createSegmentPipeline(pool, sources, {
      devices: ['usb:0', 'usb:1'],
      loadSegment,
      queueDepth: 3,
    });
    expect(pipeline.segments).toEqual([SEG0, SEG1]);
    expect(pipeline.devices).toEqual(['usb:0', 'usb:1']);
    const got: Detections[] = [];
    const producer = (async () => {
      for (let k = 0; k < FRAMES; k++) await pipeline.runner.push([frame(k)]);
    })();
    for (let k = 0; k < FRAMES; k++) got.push(detections(await pipeline.runner.pop()));
    await producer;
    for (let k = 0; k < FRAMES; k++) {
      expect(got[k]!.count).toBe(reference[k]!.count);
      expect([...got[k]!.boxes]).toEqual([...reference[k]!.boxes]);
      expect([...got[k]!.classes]).toEqual([...reference[k]!.classes]);
      expect([...got[k]!.scores]).toEqual([...reference[k]!.scores]);
    }
    const stats = pipeline.runner.stats();
    expect(stats.map((s) => [s.deviceId, s.runs])).toEqual([
      ['usb:0', FRAMES],
      ['usb:1', FRAMES],
    ]);
    expect(stats.every((s) => s.meanMs > 0)).toBe(true);
    // Segment 0 ran on the first stick only, segment 1 on the second (plus one parameter upload each).
    const requests = farm.corals.map((c, i) => c.app.stats.requests - before[i]!);
    expect(requests).toEqual([FRAMES + 1, FRAMES + 1, 0]);
    expect(pool.devices().map((d) => d.swaps)).toEqual([0, 0, 0]);
    await pipeline.close();
    await pool.close();
    expect(farm.violations()).toEqual([]);
  }, 60_000);

  it('runs with fewer TPUs than segments (both on one TPU) and stops cleanly', async () => {
    const pool = new DevicePool(farm.usb);
    await pool.refresh();
    const pipeline = await createSegmentPipeline(pool, sources, { devices: ['usb:2'], loadSegment });
    expect(pipeline.devices).toEqual(['usb:2', 'usb:2']);
    for (let k = 0; k < 6; k++) await pipeline.runner.push([frame(k)]);
    const out = await pipeline.runner.flush();
    expect(out.map((o) => detections(o).count)).toEqual(reference.slice(0, 6).map((d) => d.count));
    expect([...detections(out[5]!).scores]).toEqual([...reference[5]!.scores]);
    // Same token on both segments (co-compiled by the compiler): no swaps on the shared TPU.
    expect(pool.device('usb:2')!.swaps).toBe(0);
    await pipeline.runner.push([frame(0)]);
    const pending = pipeline.runner.pop();
    await pipeline.close();
    await pending.then(
      (o) => expect(detections(o).count).toBe(reference[0]!.count),
      (e: unknown) => expect(e).toMatchObject({ code: 'CANCELLED' }),
    );
    await pool.close();
  }, 60_000);

  it('fails the frames of an unplugged TPU with a typed error, without hanging', async () => {
    const local = await coralFarm(2, [SEG0, SEG1]);
    const pool = new DevicePool(local.usb);
    await pool.refresh();
    const pipeline: SegmentPipeline = await createSegmentPipeline(pool, sources, {
      devices: ['usb:0', 'usb:1'],
      loadSegment,
    });
    const results: PromiseSettledResult<SegmentArray[]>[] = [];
    for (let k = 0; k < 12; k++) {
      if (k === 6) local.corals[1]!.unplug();
      await pipeline.runner.push([frame(k)]);
      if (k >= 2) results.push(...(await Promise.allSettled([pipeline.runner.pop()])));
    }
    while (pipeline.runner.inFlight > 0) results.push(...(await Promise.allSettled([pipeline.runner.pop()])));
    expect(results).toHaveLength(12);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok.length).toBeGreaterThanOrEqual(3);
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') expect(detections(r.value).count).toBe(reference[k]!.count);
      else {
        expect(r.reason).toBeInstanceOf(ReefError);
        expect(r.reason).toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
      }
    });
    expect(results.at(-1)!.status).toBe('rejected');
    await pipeline.close();
    await pool.close();
    expect(local.corals[0]!.violations).toEqual([]);
  }, 60_000);
});

describe('segment helpers', () => {
  it('orders segment files and rejects incomplete sets', () => {
    const named = (n: string) => ({ name: n });
    expect(
      orderSegments([named('x_segment_1_of_2_edgetpu.tflite'), named('x_segment_0_of_2_edgetpu.tflite')]).map(
        (s) => s.name,
      ),
    ).toEqual(['x_segment_0_of_2_edgetpu.tflite', 'x_segment_1_of_2_edgetpu.tflite']);
    expect(() =>
      orderSegments([named('x_segment_0_of_3_edgetpu.tflite'), named('x_segment_2_of_3_edgetpu.tflite')]),
    ).toThrow(/segment\(s\) 1 of 3 are missing/);
    expect(() => orderSegments([named('x_segment_0_of_2_edgetpu.tflite'), named('plain.tflite')])).toThrow(ReefError);
    expect(assignSegmentDevices(4, ['usb:0', 'usb:1'])).toEqual(['usb:0', 'usb:0', 'usb:1', 'usb:1']);
    expect(assignSegmentDevices(2, ['usb:0', 'usb:1', 'usb:2'])).toEqual(['usb:0', 'usb:1']);
    expect(assignSegmentDevices(3, ['usb:5'])).toEqual(['usb:5', 'usb:5', 'usb:5']);
  });
});
