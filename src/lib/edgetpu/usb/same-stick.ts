/**
 * Finding one stick again after a USB reset made it re-enumerate. Some hosts keep the `USBDevice`
 * object across a port reset; others (and every host after a VID/PID change) hand out a new one.
 * The Coral's application personality has no serial number (protocol §1.2, §2.8), so the order of
 * evidence is: serial number, else bus and port (node-usb exposes them), else the one application
 * device that was not there before the reset.
 */
import { ReefError } from '../../errors.ts';
import { personalityOf } from './identity.ts';
import { awaitDevice } from './await-device.ts';
import type { UsbDeviceLike, UsbHostLike } from './device.ts';

export interface StickIdentity {
  serial: string | null;
  /** `bus-port.port…`, when the host says where the device is plugged in. */
  location: string | null;
}

interface Located {
  busNumber?: number;
  portNumbers?: number[];
}

/** node-usb's `WebUSBDevice` wraps a libusb device that knows its bus and port path. */
function locationOf(device: object): string | null {
  for (const candidate of [device, (device as { device?: unknown }).device]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const { busNumber, portNumbers } = candidate as Located;
    if (typeof busNumber === 'number' && Array.isArray(portNumbers) && portNumbers.length > 0) {
      return `${busNumber}-${portNumbers.join('.')}`;
    }
  }
  return null;
}

export function identityOf(device: UsbDeviceLike): StickIdentity {
  const serial = (device as Partial<USBDevice>).serialNumber;
  return { serial: serial ? serial : null, location: locationOf(device) };
}

/** Whether `candidate` is the stick `identity` describes (`before`: app devices present before the reset). */
function isSameStick(
  candidate: USBDevice,
  identity: StickIdentity,
  old: UsbDeviceLike,
  before: ReadonlySet<USBDevice>,
): boolean {
  if (candidate === old || personalityOf(candidate) !== 'app') return false;
  if (identity.serial) return candidate.serialNumber === identity.serial;
  if (identity.location) return locationOf(candidate) === identity.location;
  return !before.has(candidate);
}

export interface FindOptions {
  timeoutMs: number;
  pollIntervalMs?: number;
  label: string;
}

/**
 * Resolves with the new `USBDevice` of the stick that `old` was, from `connect` events or by polling
 * `getDevices()`; rejects with `device-gone` when it does not come back in time.
 */
export function findSameStick(
  usb: UsbHostLike,
  old: UsbDeviceLike,
  identity: StickIdentity,
  before: ReadonlySet<USBDevice>,
  options: FindOptions,
): Promise<USBDevice> {
  return awaitDevice(usb, {
    announced: (device) => isSameStick(device, identity, old, before),
    listed: (list) => list.find((d) => isSameStick(d, identity, old, before)),
    intervalMs: options.pollIntervalMs ?? 50,
    timeoutMs: options.timeoutMs,
    timeoutError: () =>
      new ReefError(
        'UNAVAILABLE',
        `${options.label}: the device is gone: it did not come back within ${options.timeoutMs} ms after a USB reset`,
        { reason: 'device-gone' },
      ),
    lookNow: true, // it may be back already
  });
}

/** Application devices present now (the baseline a newcomer is judged against). */
export async function appDevicesNow(usb: UsbHostLike | undefined): Promise<Set<USBDevice>> {
  if (!usb) return new Set();
  try {
    return new Set((await usb.getDevices()).filter((d) => personalityOf(d) === 'app'));
  } catch {
    return new Set();
  }
}
