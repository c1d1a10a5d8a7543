/**
 * The CLI's USB: node-usb's WebUSB (`new WebUSB({ allowAllDevices: true })`), the Coral devices on
 * it with pycoral's ids (`usb:0`, `usb:1`… in enumeration order), and the messages a person needs
 * when there is no device or no permission.
 */
import { existsSync } from 'node:fs';
import { ReefError } from '../../lib/errors.ts';
import {
  personalityOf,
  usbSpeedOf,
  type Personality,
  type UsbHostLike,
  type UsbSpeed,
} from '../../lib/edgetpu/index.ts';

export const UDEV_RULES = [
  'SUBSYSTEM=="usb", ATTRS{idVendor}=="1a6e", ATTRS{idProduct}=="089a", MODE="0664", TAG+="uaccess"',
  'SUBSYSTEM=="usb", ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302", MODE="0664", TAG+="uaccess"',
].join('\n');

/** What to do about permissions on this platform (protocol §1.1: both IDs need access). */
export function permissionHint(platform: string = process.platform, sysBusUsb = '/sys/bus/usb'): string {
  // Without sysfs' USB tree (a container or sandbox not given the host's bus) no udev rule helps.
  if (platform === 'linux' && !existsSync(sysBusUsb))
    return (
      `USB is not visible here: there is no ${sysBusUsb}, as in a container without the host's USB. ` +
      'Run reef on the host, or give the container the bus (e.g. `docker run --privileged -v /dev/bus/usb:/dev/bus/usb`).'
    );
  if (platform === 'win32') {
    return (
      'On Windows the Coral needs the WinUSB driver for both of its IDs (1A6E:089A before the firmware, 18D1:9302 after): ' +
      'install it with Zadig (https://zadig.akeo.ie, Options → List All Devices, pick the device, WinUSB, Replace Driver) ' +
      "or Coral's edgetpu_runtime install.bat, then replug."
    );
  }
  if (platform === 'darwin')
    return 'On macOS no driver is needed; replug the Coral and check `system_profiler SPUSBDataType`.';
  return (
    'On Linux give your user access to the Coral: put these two lines in /etc/udev/rules.d/71-edgetpu.rules\n' +
    `${UDEV_RULES}\n` +
    'then run `sudo udevadm control --reload-rules && sudo udevadm trigger` and replug the Coral.'
  );
}

export interface CoralEntry {
  id: string;
  device: USBDevice;
  personality: Personality;
  speed: UsbSpeed;
}

let webusb: UsbHostLike | undefined;

/** node-usb's WebUSB with every device allowed (no browser chooser in a terminal). */
export async function nodeUsb(): Promise<UsbHostLike> {
  if (webusb) return webusb;
  try {
    const { WebUSB } = await import('usb');
    webusb = new WebUSB({ allowAllDevices: true }) as unknown as UsbHostLike;
    return webusb;
  } catch (error) {
    throw new ReefError(
      'UNAVAILABLE',
      `USB is not available in this Node (node-usb failed to load: ${String(error)})`,
      {
        reason: 'no-usb-backend',
        cause: error,
      },
    );
  }
}

/** Every Coral on the bus, in enumeration order, with `usb:N` ids. */
export async function listCorals(usb: UsbHostLike): Promise<CoralEntry[]> {
  let devices: USBDevice[];
  try {
    devices = await usb.getDevices();
  } catch (error) {
    throw new ReefError(
      'UNAVAILABLE',
      `cannot list USB devices (${error instanceof Error ? error.message : String(error)}). ${permissionHint()}`,
      { reason: 'usb-unavailable', cause: error },
    );
  }
  return devices
    .filter((d) => personalityOf(d) !== undefined)
    .map((device, n) => ({ id: `usb:${n}`, device, personality: personalityOf(device)!, speed: usbSpeedOf(device) }));
}

const DEVICE_SPEC = /^usb(?::(\d+))?$/;

/** The Coral named by `usb` (the first) or `usb:N`; a clear error when there is none. */
export async function findCoral(usb: UsbHostLike, spec = 'usb'): Promise<CoralEntry> {
  const match = DEVICE_SPEC.exec(spec);
  if (!match) {
    throw new ReefError('INVALID_ARGUMENT', `--device ${spec}: use usb or usb:N`, { reason: 'bad-device-id' });
  }
  const corals = await listCorals(usb);
  if (corals.length === 0) {
    throw new ReefError(
      'NOT_FOUND',
      `no Coral USB Accelerator found (looked for 1a6e:089a and 18d1:9302). Plug it in (a USB 3 port is fastest). ${permissionHint()}`,
      { reason: 'no-device' },
    );
  }
  const wanted = match[1] === undefined ? corals[0] : corals.find((c) => c.id === spec);
  if (!wanted) {
    throw new ReefError('NOT_FOUND', `no Coral ${spec}; connected: ${corals.map((c) => c.id).join(', ')}`, {
      reason: 'unknown-device',
    });
  }
  return wanted;
}
