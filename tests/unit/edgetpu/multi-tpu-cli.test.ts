import { describe, expect, it } from 'vitest';
import { listDevices } from '../../../src/cli/commands/list.ts';
import { runPipelineBench, type PipelineBenchResult } from '../../../src/cli/pipeline-bench.ts';
import { coralFarm } from '../../emulator/multi.ts';
import { fixturePath, type FixtureName } from '../../support/fixtures.ts';

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('reef bench --pipeline (on virtual Corals)', () => {
  it('pipelines the SSD segments across usb:0 and usb:1 and reports the sequential baseline', async () => {
    const farm = await coralFarm(2, [SEG0, SEG1]);
    const { io, out } = captureIo();
    // Files given out of order: the _segment_K_of_N_ names decide.
    const args = [
      '--pipeline',
      await fixturePath(SEG1),
      await fixturePath(SEG0),
      '--devices',
      'usb:0,usb:1',
      '--frames',
      '4',
      '--json',
    ];
    expect(await runPipelineBench(args, io, farm.usb)).toBe(0);
    const result = JSON.parse(out.join('\n')) as PipelineBenchResult;
    expect(result.segments).toEqual([SEG0, SEG1]);
    expect(result.devices).toEqual(['usb:0', 'usb:1']);
    expect(result.frames).toBe(4);
    expect(result.fps).toBeGreaterThan(0);
    expect(result.sequentialFps).toBeGreaterThan(0);
    expect(result.stages.map((s) => [s.deviceId, s.runs])).toEqual([
      ['usb:0', 5],
      ['usb:1', 5],
    ]);
    // The baseline ran both segments on usb:0; the pipeline put segment 1 on usb:1.
    expect(farm.corals[1]!.app.stats.requests).toBe(5 + 1);
    expect(farm.violations()).toEqual([]);
  }, 60_000);

  it('says what is wrong when no Coral is ready or an option is bad', async () => {
    const farm = await coralFarm(1, []);
    farm.corals[0]!.unplug();
    const { io } = captureIo();
    await expect(runPipelineBench(['--pipeline', await fixturePath(SEG0)], io, farm.usb)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'no-tpu',
    });
    await expect(runPipelineBench(['--pipeline', 'x', '--frames', '0'], io, farm.usb)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(runPipelineBench(['--pipeline', 'x', '--clock', 'turbo'], io, farm.usb)).rejects.toMatchObject({
      reason: 'bad-clock',
    });
    const usage = captureIo();
    expect(await runPipelineBench(['--pipeline'], usage.io, farm.usb)).toBe(2);
    expect(usage.err.join('')).toMatch(/--devices/);
  });

  it('reef list shows every Coral on the bus, ready or not', async () => {
    const farm = await coralFarm(3, [], { speed: 'high' });
    farm.corals[1]!.replug(); // back in its bootloader
    const { io, out } = captureIo();
    expect(await listDevices(['--json'], io, farm.usb)).toBe(0);
    const listed = JSON.parse(out.join('\n')) as { id: string; personality: string; speed: string }[];
    expect(listed.map((d) => d.id)).toEqual(['usb:0', 'usb:1', 'usb:2']);
    expect(listed.map((d) => d.personality).sort()).toEqual(['app', 'app', 'dfu']);
    expect(listed.filter((d) => d.personality === 'app').every((d) => d.speed === 'high')).toBe(true);
  });
});
