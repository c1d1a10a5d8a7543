/** What the hardware tests share: the real bus (node-usb), the stick under test, its firmware. */
import { dirname } from 'node:path';
import { flashFirmware, type UsbHostLike } from '../../src/lib/edgetpu/index.ts';
import { findCoral, nodeUsb } from '../../src/cli/usb/node-usb.ts';
import { fixturePath, readFixture } from '../support/fixtures.ts';

/** The Coral under test: REEF_HW_DEVICE (`usb:N`), default the first. */
export const DEVICE = process.env['REEF_HW_DEVICE'] ?? 'usb:0';

export function hardwareUsb(): Promise<UsbHostLike> {
  return nodeUsb();
}

/** Puts the firmware on the stick when it is still its bootloader (every replug needs it). */
export async function ensureFirmware(usb: UsbHostLike): Promise<void> {
  const entry = await findCoral(usb, DEVICE);
  if (entry.personality === 'app') return;
  const app = await flashFirmware(entry.device, await readFixture('apex_latest_single_ep.bin'), {
    usb,
    label: entry.id,
  });
  if (!app) throw new Error(`${DEVICE} did not come back after the firmware download`);
}

/** The fixture folders, as `--models` arguments for `reef doctor`. */
export async function fixtureModelArgs(): Promise<string[]> {
  return [
    '--models',
    dirname(await fixturePath('testconv1-edgetpu.tflite')),
    '--models',
    dirname(await fixturePath('cat.bmp')),
  ];
}
