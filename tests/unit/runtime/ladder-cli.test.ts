/**
 * The ladder in Node (`reef run --device …`): WebGPU is unavailable here and says so; `auto` puts a
 * compiled model on a Coral (the virtual one: a test double) and otherwise runs the CPU twin with
 * the reason; its one stderr line names the engine and every skipped engine's reason.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchModel } from '../../../src/cli/commands/bench.ts';
import { command } from '../../../src/cli/commands/run.ts';
import { choiceCachePath, createLadderEngine } from '../../../src/cli/run/ladder-engine.ts';
import { EmulatedUsb } from '../../emulator/usb-host.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';
import { fixturePath, readFixture } from '../../support/fixtures.ts';

const cachePath = join(mkdtempSync(join(tmpdir(), 'reef-ladder-')), 'engine-choices.json');

describe('reef run --device on the ladder', () => {
  it('--device webgpu says WebGPU is unavailable in Node, as a typed error', async () => {
    const args = [await fixturePath('mobilenet_v1_0.25_128_quant.tflite'), await fixturePath('cat.bmp')];
    const io = { out: () => {}, err: () => {} };
    await expect(command.run([...args, '--device', 'webgpu'], io)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'engine-unavailable',
      message: 'GPU (WebGPU) is not available: Node has no WebGPU (navigator.gpu)',
    });
    await expect(command.run([...args, '--device', 'gpu'], io)).rejects.toMatchObject({
      reason: 'unknown-device',
      message: "device 'gpu' is not one Reef knows; use --device auto, cpu (or wasm), webgpu, usb or usb:N",
    });
  });

  it('auto puts a compiled model on the Coral, else runs its CPU twin and says why', async () => {
    const compiled = await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const twin = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb, firmwareLoaded: true });
    coral.registerModel('mobilenet', compiled, await twinCompute(compiled, twin));
    const lines: string[] = [];
    const onCoral = createLadderEngine('auto', { usb, cachePath, log: (l) => lines.push(l) });
    const model = await onCoral.load(compiled, { cpuTwin: twin });
    expect(onCoral.last).toMatchObject({ engine: 'edgetpu', device: 'usb:0', label: 'Coral usb:0' });
    expect(onCoral.last!.decision.how).toBe('preferred');
    expect(lines).toEqual([
      'engine: Coral usb:0 (compiled for it); skipped GPU (WebGPU) is not available: Node has no WebGPU (navigator.gpu); skipped WebNN is not available: Node has no WebNN (navigator.ml)',
    ]);
    const result = await model.run([new Uint8Array(128 * 128 * 3).fill(100)]);
    expect(result.device).toMatch(/^usb:0/);
    model.dispose();
    onCoral.dispose();
    expect(coral.violations).toEqual([]);

    const none = createLadderEngine('auto', { usb: new EmulatedUsb(), cachePath, log: () => {} });
    await none.load(compiled, { cpuTwin: twin });
    expect(none.last).toMatchObject({
      engine: 'wasm',
      device: 'cpu',
      fallback: 'no Coral USB Accelerator found; running on CPU (WebAssembly)',
    });
    expect(none.last!.model.engine).toBe('litert-wasm (cpu twin)');
    none.dispose();
  });

  it('reef bench --device auto|cpu|webgpu times the whole model on the ladder’s engine', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => {} };
    expect(
      await benchModel([model, '--device', 'auto', '--runs', '3', '--warmup', '0', '--json'], io, new EmulatedUsb()),
    ).toBe(0);
    const result = JSON.parse(out[0]!) as Record<string, unknown> & { decision: { how: string }; p50Ms: number };
    expect(result).toMatchObject({
      requested: 'auto',
      engine: 'litert-wasm',
      device: 'cpu',
      label: 'CPU (WebAssembly)',
    });
    expect(result.decision.how).toBe('only-engine');
    expect(result.p50Ms).toBeGreaterThan(0);
    await expect(benchModel([model, '--device', 'webgpu'], io, new EmulatedUsb())).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'engine-unavailable',
    });
  });

  it('keeps auto choices under $XDG_CACHE_HOME/reef, else ~/.cache/reef', () => {
    expect(choiceCachePath({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/reef/engine-choices.json');
    expect(choiceCachePath({})).toMatch(/\/\.cache\/reef\/engine-choices\.json$/);
  });
});
