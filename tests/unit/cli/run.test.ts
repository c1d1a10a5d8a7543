/** `reef run` in-process: the JSON shapes the issue fixes, per task, and typed failures. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { command } from '../../../src/cli/commands/run.ts';
import { decodeBmp } from '../../../src/lib/tasks/index.ts';
import { fixturePath, type FixtureName } from '../../support/fixtures.ts';

async function run(
  model: FixtureName,
  image: FixtureName,
  ...extra: string[]
): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await command.run([await fixturePath(model), await fixturePath(image), ...extra], {
    out: (t) => out.push(t),
    err: (t) => out.push(t),
  });
  return { code, out };
}

describe('reef run', () => {
  it('classify: {"task","classes":[{id,label,score}],"ms"} with labels from the model', async () => {
    const { code, out } = await run('mobilenet_v1_0.25_128_quant.tflite', 'cat.bmp', '--json', '--top-k', '3');
    expect(code).toBe(0);
    const json = JSON.parse(out[0]!) as {
      task: string;
      classes: { id: number; label: string; score: number }[];
      ms: number;
    };
    expect(json.task).toBe('classify');
    expect(json.classes).toHaveLength(3);
    expect(json.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });
    expect(typeof json.ms).toBe('number');
    expect(json).toMatchObject({ engine: 'litert-wasm', device: 'cpu' });
  });

  it('detect: objects with boxes in image pixels, labels from --labels', async () => {
    const { out } = await run(
      'fish_ssd_detect.tflite',
      'bird.bmp',
      '--json',
      '--labels',
      await fixturePath('fish_ssd_labels.txt'),
      '--threshold',
      '0',
    );
    const json = JSON.parse(out[0]!) as {
      task: string;
      objects: { id: number; label: string; score: number; box: Record<string, number> }[];
    };
    expect(json.task).toBe('detect');
    expect(json.objects.length).toBeGreaterThan(0);
    for (const o of json.objects) {
      expect(Object.keys(o.box).sort()).toEqual(['xmax', 'xmin', 'ymax', 'ymin']);
      expect(o.box.xmax).toBeLessThanOrEqual(512);
      expect(['ClownFish', 'roses']).toContain(o.label);
    }
  });

  it('segment: width, height and class pixel counts; writes the mask BMP', async () => {
    const mask = join(mkdtempSync(join(tmpdir(), 'reef-run-')), 'mask.bmp');
    const { out } = await run(
      'deeplabv3_mnv2_dm05_pascal_quant.tflite',
      'bird_segmentation.bmp',
      '--json',
      '--labels',
      await fixturePath('pascal_voc_segmentation_labels.txt'),
      '--mask',
      mask,
    );
    const json = JSON.parse(out[0]!) as {
      task: string;
      width: number;
      height: number;
      classes: { id: number; label: string; pixels: number }[];
    };
    expect(json).toMatchObject({ task: 'segment', width: 513, height: 513 });
    expect(json.classes.find((c) => c.label === 'bird')!.pixels).toBeGreaterThan(20_000);
    expect(json.classes.reduce((n, c) => n + c.pixels, 0)).toBe(513 * 513);
    const written = decodeBmp(new Uint8Array(readFileSync(mask)));
    expect(written.indices!.filter((v) => v === 3).length).toBe(json.classes.find((c) => c.id === 3)!.pixels);
  });

  it('pose: 17 keypoints in image pixels', async () => {
    const { out } = await run('movenet_single_pose_lightning_ptq.tflite', 'squat.bmp', '--json', '--task', 'pose');
    const json = JSON.parse(out[0]!) as {
      task: string;
      poses: { score: number; keypoints: { x: number; y: number; score: number }[] }[];
    };
    expect(json.task).toBe('pose');
    expect(json.poses[0]!.keypoints).toHaveLength(17);
    expect(json.poses[0]!.keypoints[0]!.x).toBeGreaterThan(250);
    expect(json.poses[0]!.keypoints[0]!.x).toBeLessThan(340);
  });

  it('fails with a typed error for an op nobody runs and for an unknown device', async () => {
    await expect(run('model_invoking_error.tflite', 'cat.bmp')).rejects.toMatchObject({
      code: 'UNIMPLEMENTED',
      reason: 'unsupported-op:fake-op-double',
    });
    await expect(run('mobilenet_v1_0.25_128_quant.tflite', 'cat.bmp', '--device', 'gpu')).rejects.toMatchObject({
      reason: 'unknown-device',
    });
  });
});
