/**
 * `reef run` on a model compiled in segments (the catalog's SSD MobileNet v2 COCO in 2 segments),
 * in-process through the CLI's entry point with emulated USB buses of virtual Corals handed in as
 * its USB dependency. The detections it prints are checked against the same two segments run here
 * straight through the lib (each segment a composite engine on a virtual Coral of its own farm,
 * segment 0's outputs fed to segment 1, then the detect task), not through any CLI code. No CPU
 * version of the segments exists, so the virtual Coral's outputs are synthetic (deterministic in
 * the input bytes): a test double, never a hardware result.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliDeps } from '../../../src/cli/command.ts';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { main } from '../../../src/cli/reef.ts';
import { parseLabels } from '../../../src/lib/tasks/index.ts';
import { FIRMWARE_FILE } from '../../../src/lib/zoo/index.ts';
import { EmulatedUsb, VirtualCoral } from '../../emulator/index.ts';
import { coralFarm, type CoralFarm } from '../../emulator/multi.ts';
import { fixturePath, readFixture, readFixtureText, type FixtureName } from '../../support/fixtures.ts';
import { segmentSetDetections } from '../../support/segment-detections.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';
const IMAGES: FixtureName[] = ['cat.bmp', 'bird.bmp', 'grace_hopper.bmp'];
const REASON = 'segmented-needs-tpu';

interface Detection {
  label: string;
  score: number;
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** The CLI's USB dependency on a farm of virtual Corals. */
function depsOn(farm: CoralFarm): CliDeps {
  return { usb: async () => farm.usb };
}

/** Which segments each virtual Coral of `farm` uploaded parameters for. */
function uploadsPerCoral(farm: CoralFarm): string[][] {
  return farm.corals.map((c) => [...c.app.stats.parameterUploads.keys()].sort());
}

let seg0Path: string;
let seg1Path: string;
let labelsPath: string;
let imagePaths: string[];
/** Per image, what the lib run directly detects (threshold 0.4, COCO labels). */
let expected: Detection[][];

beforeAll(async () => {
  seg0Path = await fixturePath(SEG0);
  seg1Path = await fixturePath(SEG1);
  labelsPath = await fixturePath('coco_labels.txt');
  imagePaths = await Promise.all(IMAGES.map((name) => fixturePath(name)));
  const labels = parseLabels(await readFixtureText('coco_labels.txt'));

  const images = await Promise.all(IMAGES.map(async (name) => decodeImageFile(await readFixture(name), name)));
  const farm = await coralFarm(1, [SEG0, SEG1]);
  const detections = await segmentSetDetections(farm, [SEG0, SEG1], images, { device: 'usb:0', labels });
  expected = detections.map((objects) => objects.map((o) => ({ label: o.label, score: o.score, box: o.box })));
  // Without detections the comparison below would compare nothing.
  expect(expected.flat().length).toBeGreaterThan(0);
});

/** The printed objects equal the lib's: same labels in the same order, boxes as rounded to 0.1 px. */
function expectSameDetections(printed: Detection[], want: Detection[]): void {
  expect(printed.map((o) => o.label)).toEqual(want.map((o) => o.label));
  printed.forEach((o, i) => {
    expect(o.score).toBeCloseTo(want[i]!.score, 5);
    for (const side of ['xmin', 'ymin', 'xmax', 'ymax'] as const)
      expect(Math.abs(o.box[side] - want[i]!.box[side])).toBeLessThanOrEqual(0.05 + 1e-9);
  });
}

describe('reef run on a segment set, on virtual Corals', () => {
  it('pipelines the set over 2 Corals with --device usb: per image the detections the lib computes', async () => {
    const farm = await coralFarm(2, [SEG0, SEG1]);
    const run = capture();
    const args = ['run', seg0Path, seg1Path, ...imagePaths, '--device', 'usb', '--labels', labelsPath, '--json'];
    expect(await main(args, run.io, depsOn(farm))).toBe(0);
    expect(run.err).toEqual([]);
    const lines = run.out.map((l) => JSON.parse(l) as { image: string; objects: Detection[]; device: string });
    expect(lines.map((l) => l.image)).toEqual(imagePaths);
    lines.forEach((line, i) => {
      expect(line).toMatchObject({ task: 'detect', engine: 'edgetpu-pipeline', device: 'usb:0,usb:1' });
      expectSameDetections(line.objects, expected[i]!);
    });
    // Segment k on TPU k: each Coral holds the parameters of its own segment only.
    expect(uploadsPerCoral(farm)).toEqual([[SEG0], [SEG1]]);
    expect(farm.violations()).toEqual([]);
  });

  it('finds the set from its first file and runs it in turn on one Coral with --device usb:0', async () => {
    const farm = await coralFarm(2, [SEG0, SEG1]);
    const run = capture();
    const args = ['run', seg0Path, imagePaths[0]!, '--device', 'usb:0', '--labels', labelsPath];
    expect(await main(args, run.io, depsOn(farm))).toBe(0);
    expect(run.err).toEqual([]);
    // The same lines as a single-file detection model: a header, then one line per object.
    expect(run.out[0]).toMatch(/^detect on edgetpu-pipeline \(usb:0\), [\d.]+ ms$/);
    const printed = run.out.slice(1).map((line): Detection => {
      const m = /^([\d.]+) {2}(.+) \((\d+)\) {2}\[([-\d.]+), ([-\d.]+), ([-\d.]+), ([-\d.]+)\]$/.exec(line);
      expect(m, line).not.toBeNull();
      const [xmin, ymin, xmax, ymax] = m!.slice(4).map(Number) as [number, number, number, number];
      return { score: Number(m![1]), label: m![2]!, box: { xmin, ymin, xmax, ymax } };
    });
    expect(printed.map((o) => o.label)).toEqual(expected[0]!.map((o) => o.label));
    printed.forEach((o, i) => {
      expect(Math.abs(o.score - expected[0]![i]!.score)).toBeLessThanOrEqual(0.0005 + 1e-9);
      for (const side of ['xmin', 'ymin', 'xmax', 'ymax'] as const)
        expect(Math.abs(o.box[side] - expected[0]![i]!.box[side])).toBeLessThanOrEqual(0.05 + 1e-9);
    });
    // Both segments on usb:0, nothing on usb:1.
    expect(uploadsPerCoral(farm)).toEqual([[SEG0, SEG1].sort(), []]);
  });

  it('flashes a Coral still in its bootloader (firmware from the cache) before running the set on it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'reef-run-segments-cache-'));
    try {
      const firmware = await readFixture('apex_latest_single_ep.bin');
      mkdirSync(join(cache, 'reef', 'files'), { recursive: true });
      writeFileSync(join(cache, 'reef', 'files', FIRMWARE_FILE.sha256), firmware);
      vi.stubEnv('XDG_CACHE_HOME', cache);
      const usb = new EmulatedUsb();
      const coral = new VirtualCoral({ usb });
      for (const name of [SEG0, SEG1]) coral.registerModel(name, await readFixture(name));
      const run = capture();
      const args = ['run', seg0Path, imagePaths[0]!, '--device', 'usb:0', '--labels', labelsPath, '--json'];
      expect(await main(args, run.io, { usb: async () => usb })).toBe(0);
      expect(run.err.join('\n')).toContain('usb:0 is in its DFU bootloader: flashing the firmware');
      expect(coral.personality).toBe('app');
      const line = JSON.parse(run.out[0]!) as { objects: Detection[]; device: string };
      expect(line.device).toBe('usb:0');
      expectSameDetections(line.objects, expected[0]!);
    } finally {
      vi.unstubAllEnvs();
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it.each(['wasm', 'cpu', 'webgpu'])('refuses the set on --device %s with the reason, no result', async (device) => {
    const farm = await coralFarm(1, [SEG0, SEG1]);
    let opened = 0;
    const run = capture();
    const args = ['run', seg0Path, seg1Path, imagePaths[0]!, '--device', device, '--json'];
    expect(await main(args, run.io, { usb: async () => (opened++, farm.usb) })).toBe(1);
    expect(run.out).toHaveLength(1);
    const { error } = JSON.parse(run.out[0]!) as { error: { code: string; reason: string; message: string } };
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.reason).toBe(REASON);
    expect(error.message).toContain('compiled in segments: no CPU twin of segments');
    expect(opened).toBe(0);
    expect(farm.corals[0]!.app.stats.requests).toBe(0);
  });

  it('refuses the set with no Coral attached, and names a missing segment', async () => {
    const none = await coralFarm(0, []);
    const run = capture();
    expect(await main(['run', seg0Path, seg1Path, imagePaths[0]!, '--device', 'usb'], run.io, depsOn(none))).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err.join('\n')).toMatch(
      /no CPU twin of segments \(no Coral USB Accelerator found\).*\[FAILED_PRECONDITION\/segmented-needs-tpu\]/,
    );

    const dir = mkdtempSync(join(tmpdir(), 'reef-run-segments-'));
    try {
      const lone = join(dir, SEG0);
      copyFileSync(seg0Path, lone);
      const farm = await coralFarm(2, [SEG0, SEG1]);
      const missing = capture();
      expect(await main(['run', lone, imagePaths[0]!, '--device', 'usb'], missing.io, depsOn(farm))).toBe(1);
      expect(missing.out).toEqual([]);
      expect(missing.err.join('\n')).toMatch(/segment\(s\) 1 of 2 are missing.*segment-missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
