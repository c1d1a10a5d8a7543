/**
 * `reef train --device usb:0` end to end, in-process through the CLI's entry point (`main`) with
 * an emulated USB bus handed in as its USB dependency: the real command finds the virtual Coral,
 * embeds every fixture image with the compiled extractor on it (the emulator computes the Edge
 * TPU op with the CPU twin — a test double, not a hardware result), trains, and writes the Edge
 * TPU model and the CPU model. Both are then checked on the images: the CPU model in WASM, the
 * Edge TPU model with `reef run --device usb:0` on the same virtual Coral.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliDeps } from '../../../src/cli/command.ts';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { main } from '../../../src/cli/reef.ts';
import { hasEdgeTpuOps } from '../../../src/lib/runtime/index.ts';
import { imageToTensor } from '../../../src/lib/tasks/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { EmulatedUsb, VirtualCoral, type ComputeFn } from '../../emulator/index.ts';
import { fixturePath, readFixture, type FixtureName } from '../../support/fixtures.ts';
import { argMax, wasmEngine } from '../learn/litert-harness.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 60_000 });

const COMPILED = 'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite';
const TWIN = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const CLASSES: Record<string, FixtureName[]> = {
  bird: ['bird.bmp'],
  cat: ['cat.bmp', 'imprinting_cat_train_0.bmp'],
  person: ['grace_hopper.bmp'],
};

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** The emulator's compute, counting the Edge TPU runs it serves. */
function counted(compute: ComputeFn): { compute: ComputeFn; runs: () => number } {
  let runs = 0;
  return {
    compute: (inputs) => {
      runs++;
      return compute(inputs);
    },
    runs: () => runs,
  };
}

describe('reef train --device usb:0 on a virtual Coral, through the CLI entry point', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reef-train-usb-'));
    for (const [label, files] of Object.entries(CLASSES)) {
      mkdirSync(join(dir, 'data', label), { recursive: true });
      for (const f of files) copyFileSync(await fixturePath(f), join(dir, 'data', label, f));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('embeds on the TPU, writes the Edge TPU and CPU models, and both classify the images', async () => {
    const compiled = await readFixture(COMPILED);
    const twin = await readFixture(TWIN);
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb, firmwareLoaded: true });
    const extractorRuns = counted(await twinCompute(compiled, twin));
    coral.registerModel('extractor', compiled, extractorRuns.compute);
    let opened = 0;
    const deps: CliDeps = { usb: async () => (opened++, usb) };

    const out = join(dir, 'pets_edgetpu.tflite');
    const train = capture();
    const args = ['--extractor', await fixturePath(COMPILED), '--data', join(dir, 'data'), '--out', out];
    const code = await main(['train', ...args, '--method', 'imprint', '--device', 'usb:0'], train.io, deps);
    expect(train.err.join('\n')).not.toMatch(/error/i);
    expect(code).toBe(0);
    expect(opened).toBeGreaterThan(0);
    // Every image was embedded by the Edge TPU op on the virtual Coral, and the page-facing lines say so.
    const images = Object.values(CLASSES).flat();
    expect(extractorRuns.runs()).toBe(images.length);
    expect(train.err.join('\n')).toMatch(/embedding on edgetpu.*usb:0/);
    expect(train.out.join('\n')).toMatch(/embedded on edgetpu.*usb:0/);
    expect(coral.violations).toEqual([]);

    // The Edge TPU model: the compiled extractor with the head after it, labels embedded.
    const labels = Object.keys(CLASSES);
    const onTpuBytes = new Uint8Array(readFileSync(out));
    const onTpu = readModel(onTpuBytes);
    expect(hasEdgeTpuOps(onTpu)).toBe(true);
    expect(onTpu.labels).toEqual(labels);
    // The CPU model beside it (x_edgetpu.tflite → x.tflite): the same head on the CPU twin, in WASM.
    const cpuBytes = new Uint8Array(readFileSync(join(dir, 'pets.tflite')));
    expect(hasEdgeTpuOps(readModel(cpuBytes))).toBe(false);
    expect(readModel(cpuBytes).labels).toEqual(labels);
    const cpu = await wasmEngine().load(cpuBytes);
    coral.registerModel('composed', onTpuBytes, await twinCompute(onTpuBytes, twin));
    try {
      for (const [c, label] of labels.entries())
        for (const file of CLASSES[label]!) {
          const image = decodeImageFile(await readFixture(file), file);
          const scores = (await cpu.run([imageToTensor(image, cpu.inputs[0]!).data])).outputs[0]!.data;
          expect(argMax(scores as Uint8Array), `${file} on the CPU model`).toBe(c);
          // The Edge TPU model through `reef run --device usb:0`, on the same virtual Coral.
          const run = capture();
          expect(await main(['run', out, await fixturePath(file), '--device', 'usb:0', '--json'], run.io, deps)).toBe(
            0,
          );
          const result = JSON.parse(run.out[0]!) as { classes: { label: string }[]; device: string };
          expect(result.device).toMatch(/^usb:0/);
          expect(result.classes[0]!.label, `${file} on the Edge TPU model`).toBe(label);
        }
    } finally {
      cpu.dispose();
    }
    expect(coral.violations).toEqual([]);
  });
});
