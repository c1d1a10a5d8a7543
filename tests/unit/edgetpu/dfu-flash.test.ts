import { describe, expect, it } from 'vitest';
import { checkFirmware, flashFirmware, type FlashProgress } from '../../../src/lib/edgetpu/dfu/flash.ts';
import { openEdgeTpu } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { personalityOf } from '../../../src/lib/edgetpu/usb/identity.ts';
import { readFixture } from '../../support/fixtures.ts';
import { expectTestconv1Output } from './driver-checks.ts';
import { fixtureProgram, testconv1Twin } from '../../emulator/node-fixtures.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';

describe('firmware flash (DFU) on the virtual Coral', () => {
  it('goes from the bootloader to a first inference, following the re-enumerated device', async () => {
    const coral = new VirtualCoral({ reenumerateMs: 20 });
    const { bytes, program } = await fixtureProgram('testconv1-edgetpu.tflite');
    coral.registerModel('testconv1', program, await testconv1Twin(program));
    const bootloader = coral.device!;
    expect(personalityOf(bootloader)).toBe('dfu');
    const firmware = await readFixture('apex_latest_single_ep.bin');
    const progress: FlashProgress[] = [];
    const events: string[] = [];
    coral.usb.addEventListener('connect', (e: USBConnectionEvent) => events.push(`connect ${personalityOf(e.device)}`));
    coral.usb.addEventListener('disconnect', (e: USBConnectionEvent) =>
      events.push(`disconnect ${personalityOf(e.device)}`),
    );
    const app = await flashFirmware(bootloader, firmware, { usb: coral.usb, onProgress: (p) => progress.push(p) });
    expect(app).toBeDefined();
    expect(app).not.toBe(bootloader);
    expect(personalityOf(app!)).toBe('app');
    expect(events).toEqual(['disconnect dfu', 'connect app']);
    expect(coral.firmware).toBe('single-ep');
    // 43 download steps: 42 full 256-byte blocks and the 31-byte tail (§2.5), then verify.
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads).toHaveLength(43);
    expect(downloads.at(-1)).toEqual({ phase: 'download', bytesDone: 10783, bytesTotal: 10783 });
    expect(progress.some((p) => p.phase === 'verify' && p.bytesDone === 10783)).toBe(true);
    expect(bootloader.opened).toBe(false);
    await expect(bootloader.open()).rejects.toMatchObject({ name: 'NotFoundError' });

    const tpu = await openEdgeTpu(app!);
    const model = await tpu.load(bytes);
    await expectTestconv1Output(model);
    expect(coral.violations).toEqual([]);
    await tpu.close();

    // Replug: back to the bootloader (the firmware lives in RAM).
    coral.replug();
    expect(coral.personality).toBe('dfu');
  });

  it('with another Coral already running, it returns the one it flashed', async () => {
    const { EmulatedUsb } = await import('../../emulator/usb-host.ts');
    const usb = new EmulatedUsb();
    const running = new VirtualCoral({ usb, firmwareLoaded: true });
    const fresh = new VirtualCoral({ usb, reenumerateMs: 30 });
    const app = await flashFirmware(fresh.device!, await readFixture('apex_latest_single_ep.bin'), {
      usb,
      pollIntervalMs: 5,
    });
    expect(app).toBe(fresh.device);
    expect(app).not.toBe(running.device);
  });

  it('reports a bootloader error as firmware-rejected', async () => {
    const coral = new VirtualCoral();
    coral.failDfuAtBlock(5);
    const firmware = await readFixture('apex_latest_single_ep.bin');
    await expect(flashFirmware(coral.device!, firmware)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'firmware-rejected',
    });
    expect(coral.personality).toBe('dfu');
  });

  it('the emulator accepts only the official image; the wait ends with a typed error', async () => {
    const coral = new VirtualCoral();
    const bogus = new Uint8Array(10783).fill(0x5a);
    await expect(
      flashFirmware(coral.device!, bogus, { usb: coral.usb, reconnectTimeoutMs: 200, pollIntervalMs: 20 }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', reason: 'needs-permission' });
    expect(coral.rejectedImages).toBe(1);
    expect(coral.personality).toBe('dfu');
  });

  it('an unplug in the middle of the download is a device-gone error', async () => {
    const coral = new VirtualCoral();
    coral.unplugAtTransfer(20);
    await expect(flashFirmware(coral.device!, await readFixture('apex_latest_single_ep.bin'))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'device-gone',
    });
    expect(coral.personality).toBe('unplugged');
  });

  it('a failing reset() (macOS/Windows, §2.7) leaves the bootloader; the wait ends in a typed error', async () => {
    const coral = new VirtualCoral();
    coral.failNextResets(1);
    await expect(
      flashFirmware(coral.device!, await readFixture('apex_latest_single_ep.bin'), {
        usb: coral.usb,
        reconnectTimeoutMs: 150,
        pollIntervalMs: 20,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', reason: 'needs-permission' });
    expect(coral.personality).toBe('dfu');
  });

  it('checks a user-given firmware file by sha256', async () => {
    await expect(checkFirmware(await readFixture('apex_latest_single_ep.bin'))).resolves.toEqual({
      variant: 'single-ep',
    });
    await expect(checkFirmware(await readFixture('apex_latest_multi_ep.bin'))).rejects.toMatchObject({
      reason: 'wrong-firmware',
    });
    await expect(checkFirmware(new Uint8Array(16))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'wrong-firmware',
    });
  });

  it('refuses to flash a device that is not in DFU mode', async () => {
    const coral = new VirtualCoral({ firmwareLoaded: true });
    await expect(flashFirmware(coral.device!, new Uint8Array(8))).rejects.toMatchObject({ reason: 'not-dfu' });
  });
});
