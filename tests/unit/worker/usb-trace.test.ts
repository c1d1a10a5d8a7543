/**
 * The worker API's USB trace toggle (`setUsbTrace` / `takeUsbTrace`) in Node, on virtual Corals
 * standing in for the worker's `navigator.usb`. The API hands one trace switch to the device pool's
 * driver options and to the firmware flash, so every transfer lands in it while it is on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTraceSwitch, parseTrace } from '../../../src/lib/edgetpu/index.ts';
import { WorkerDevices } from '../../../src/worker/devices.ts';
import { readFixture } from '../../support/fixtures.ts';
import { coralWith } from '../../emulator/node-fixtures.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('USB trace toggle of the worker', () => {
  it('AcceleratorApi records a firmware flash only while on and hands the lines over once', async () => {
    const coral = new VirtualCoral({ reenumerateMs: 5 });
    vi.stubGlobal('navigator', { usb: coral.usb });
    const { AcceleratorApi } = await import('../../../src/worker/accelerator-api.ts');
    const api = new AcceleratorApi();
    expect(await api.refreshDevices()).toMatchObject([{ id: 'usb:0', state: 'needs-firmware' }]);
    expect(api.takeUsbTrace()).toBe('');

    api.setUsbTrace(true);
    const firmware = await readFixture('apex_latest_single_ep.bin');
    const outcome = await api.flashFirmware('usb:0', { bytes: firmware });
    expect(outcome).toMatchObject({ status: 'ready', device: 'usb:0' });
    api.setUsbTrace(false);
    const text = api.takeUsbTrace();
    expect(text.endsWith('\n')).toBe(true);
    const records = parseTrace(text);
    // DFU_DNLOAD (class/interface request 1) carried the image; block 0 starts with its first bytes.
    const downloads = records.filter(
      (r) => r.type === 'control' && r.setup?.requestType === 'class' && r.setup.request === 1,
    );
    expect(downloads.reduce((n, r) => n + r.length, 0)).toBe(firmware.length);
    expect(downloads.map((r) => r.setup!.value)).toEqual(downloads.map((_, i) => i));
    expect(downloads[0]!.data!.startsWith(Buffer.from(firmware.subarray(0, 16)).toString('hex'))).toBe(true);
    expect(records.every((r) => typeof r.t === 'number' && (r.dir === 'in' || r.dir === 'out'))).toBe(true);
    expect(api.takeUsbTrace()).toBe(''); // taken lines are gone, and nothing is kept while off
    expect(coral.violations).toEqual([]);
  });

  it("a TPU inference's bulk transfers reach the switch through the device pool's driver options", async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const trace = createTraceSwitch();
    const devices = new WorkerDevices(coral.usb, { driver: { trace: trace.recorder } });
    expect((await devices.refresh()).map((d) => d.id)).toEqual(['usb:0']);
    const model = await devices.pool!.load(models.get('testconv1-edgetpu.tflite')!.bytes, { device: 'usb:0' });
    const input = await readFixture('testconv1-test-input.bin');
    await model.run([input]);
    expect(trace.take()).toBe(''); // off by default

    trace.enable();
    const [out] = await model.run([input]);
    trace.disable();
    expect(new Uint8Array(out!.data.buffer, out!.data.byteOffset, out!.data.byteLength)).toEqual(
      await readFixture('testconv1-expected-output.bin'),
    );
    const records = parseTrace(trace.take());
    // The input went out on EP 1 behind its header (3072 bytes, tag 1), the output came back on EP 1.
    const header = '000c0000' + '01000000';
    expect(records.some((r) => r.dir === 'out' && r.endpoint === 1 && r.data?.startsWith(header))).toBe(true);
    expect(records.some((r) => r.dir === 'in' && r.endpoint === 1 && r.status === 'ok' && r.length > 0)).toBe(true);
    await devices.pool!.close();
    expect(coral.violations).toEqual([]);
  });
});
