/** The USB commands against virtual Corals on an emulated bus (the real path is node-usb's WebUSB). */
import { describe, expect, it } from 'vitest';
import { benchModel } from '../../../src/cli/commands/bench.ts';
import { flashDevice } from '../../../src/cli/commands/flash.ts';
import { listDevices } from '../../../src/cli/commands/list.ts';
import { runTask } from '../../../src/cli/commands/run.ts';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { createUsbEngine } from '../../../src/cli/usb/usb-engine.ts';
import { permissionHint } from '../../../src/cli/usb/node-usb.ts';
import { parseLabels } from '../../../src/lib/tasks/index.ts';
import { fixturePath, readFixture, readFixtureText } from '../../support/fixtures.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { EmulatedUsb, VirtualCoral } from '../../emulator/index.ts';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('reef list / flash / bench / run --device usb on virtual Corals', () => {
  it('lists Corals with usb:N ids, personality and speed, and explains an empty bus', async () => {
    const usb = new EmulatedUsb();
    new VirtualCoral({ usb, firmwareLoaded: true });
    new VirtualCoral({ usb });
    new VirtualCoral({ usb, firmwareLoaded: true, speed: 'high' });
    const { io, out } = captureIo();
    expect(await listDevices(['--json'], io, usb)).toBe(0);
    expect(JSON.parse(out[0]!)).toEqual([
      { id: 'usb:0', personality: 'app', speed: 'super' },
      { id: 'usb:1', personality: 'dfu', speed: 'unknown' },
      { id: 'usb:2', personality: 'app', speed: 'high' },
    ]);
    const empty = captureIo();
    expect(await listDevices([], empty.io, new EmulatedUsb())).toBe(1);
    expect(empty.out[0]).toContain('No Coral');
    // A Linux with sysfs' USB tree needs udev rules; one without (a container) cannot see USB at all.
    expect(permissionHint('linux', '/')).toContain('ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302"');
    const hidden = permissionHint('linux', '/no/such/sys/bus/usb');
    expect(hidden).toContain('USB is not visible here: there is no /no/such/sys/bus/usb');
    expect(hidden).not.toContain('udev');
    expect(permissionHint('win32')).toContain('WinUSB');
  });

  it('flashes a bootloader from a firmware file and writes a trace', async () => {
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb });
    const trace = `${process.env['TMPDIR'] ?? '/tmp'}/reef-flash-trace-${process.pid}.jsonl`;
    const { io, out } = captureIo();
    const firmware = await fixturePath('apex_latest_single_ep.bin');
    expect(await flashDevice(['--firmware', firmware, '--trace', trace], io, usb)).toBe(0);
    expect(out.at(-1)).toBe('usb:0: firmware running (18d1:9302).');
    expect(coral.personality).toBe('app');
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(trace, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const downloads = lines.filter((l) => l['context'] === 'DFU_DNLOAD(block 0)');
    expect(downloads[0]).toMatchObject({
      dir: 'out',
      type: 'control',
      setup: { requestType: 'class', request: 1, value: 0 },
      length: 256,
    });
    await expect(
      flashDevice(
        ['--firmware', await fixturePath('apex_latest_multi_ep.bin')],
        io,
        new VirtualCoral({ usb: new EmulatedUsb() }).usb,
      ),
    ).rejects.toMatchObject({ reason: 'wrong-firmware' });
  });

  it('benchmarks a model, flashing first, and reports bytes on the bus', async () => {
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb });
    const name = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
    coral.registerModel(name, await readFixture(name));
    const { io, out } = captureIo();
    const args = [await fixturePath(name), '--device', 'usb:0', '--runs', '5', '--warmup', '1', '--json'];
    expect(await benchModel([...args, '--firmware', await fixturePath('apex_latest_single_ep.bin')], io, usb)).toBe(0);
    const result = JSON.parse(out[0]!) as Record<string, number>;
    // Per inference: EO instructions + the 49 152-byte input with their headers; in: output + one event.
    expect(result['bytesOutPerInference']).toBeGreaterThan(49152);
    expect(result['bytesInPerInference']).toBe(1008 + 16);
    expect(result['parameterUploads']).toBe(1);
    await expect(
      benchModel([await fixturePath(name), '--device', 'usb:0'], io, new EmulatedUsb()),
    ).rejects.toMatchObject({
      reason: 'no-device',
    });
  });

  it('runs a classifier on an image through the composite engine on usb:0', async () => {
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb, firmwareLoaded: true });
    const compiled = await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    coral.registerModel(
      'mobilenet',
      compiled,
      await twinCompute(compiled, await readFixture('mobilenet_v1_0.25_128_quant.tflite')),
    );
    const engine = await createUsbEngine('usb:0', { usb });
    const model = await engine.load(compiled);
    const image = decodeImageFile(await readFixture('cat.bmp'), 'cat.bmp');
    const labels = parseLabels(await readFixtureText('imagenet_labels.txt'));
    const out = await runTask(model, image, 'classify', { topK: 3, labels });
    expect(out.result.device).toMatch(/^usb:0/);
    expect(out.text[0]).toMatch(/cat/);
    model.dispose();
    engine.dispose();
    await engine.closed;
    expect(coral.violations).toEqual([]);
  });
});
