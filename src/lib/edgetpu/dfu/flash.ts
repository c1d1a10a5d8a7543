/**
 * Firmware download to a Coral in its DFU personality (1a6e:089a), then the USB reset that starts
 * the firmware, then finding the application personality (18d1:9302) that appears in its place
 * (protocol §2.5–§2.8). WebUSB cannot follow a device across a VID/PID change: the bootloader's
 * `USBDevice` goes away and a new one appears, which needs its own permission in a browser.
 */
import { ReefError } from '../../errors.ts';
import { markFreshDevice } from '../driver/fresh-devices.ts';
import { personalityOf } from '../usb/identity.ts';
import { awaitDevice } from '../usb/await-device.ts';
import { settledStatus, toDfuIdle } from './dfu-state.ts';
import type { TraceSink } from '../usb/trace.ts';
import { CORAL_INTERFACE, claimCoralInterface, type UsbDeviceLike, type UsbHostLike } from '../usb/device.ts';
import { DFU_STATE, DFU_STATE_NAMES, DFU_STATUS_OK, dfuDownload, dfuUpload, type DfuStatus } from '../usb/dfu.ts';
import { parseDfuDescriptor, readConfigurationDescriptor } from '../usb/standard.ts';
import { UsbTransport } from '../usb/transfer.ts';
import { sha256Hex } from '../../sha256.ts';

export interface FlashProgress {
  phase: 'download' | 'verify' | 'reset' | 'reconnect';
  bytesDone: number;
  bytesTotal: number;
}

export interface FlashOptions {
  onProgress?: (progress: FlashProgress) => void;
  /** Read the image back with DFU_UPLOAD and compare (protocol §2.6; libedgetpu does). Default true. */
  verify?: boolean;
  /** Timeout of each control transfer (protocol §6: DFU path 1000 ms in libedgetpu). Default 2000. */
  transferTimeoutMs?: number;
  /**
   * Where to look for the application personality after the reset (navigator.usb, node-usb's
   * WebUSB, the emulator). Without it `flashFirmware` returns `undefined` after the reset.
   */
  usb?: UsbHostLike;
  /** How long to wait for 18d1:9302 to appear (protocol §2.7: ≥ 3–5 s). Default 10000. */
  reconnectTimeoutMs?: number;
  /** Pause between `getDevices()` polls. Default 100 ms. */
  pollIntervalMs?: number;
  /** How long the bootloader may stay busy (dfuDNBUSY, manifesting) at one step. Default 10000. */
  busyTimeoutMs?: number;
  /**
   * `true` (Node, or a browser where permission carried over): poll `getDevices()`. When the app
   * device does not show up, the error has reason `needs-permission` so a page can call
   * `requestDevice` again with the Coral filters.
   */
  trace?: { sink: TraceSink; dataLimitBytes: number };
  label?: string;
}

/** Raw image lengths of the two official images (protocol §2.1). */
export const FIRMWARE_SIZES = { singleEp: 10783, multiEp: 12117 } as const;

function statusError(what: string, s: DfuStatus): ReefError {
  return new ReefError(
    'FAILED_PRECONDITION',
    `firmware rejected: after ${what} the bootloader reports status ${s.status}, state ${DFU_STATE_NAMES[s.state] ?? s.state}`,
    { reason: 'firmware-rejected' },
  );
}

/**
 * Downloads `firmware` with DFU (protocol §2.5), optionally verifies it by upload (§2.6), resets
 * the device (§2.7) and, when `options.usb` is given, resolves with the new application device.
 */
export async function flashFirmware(
  device: UsbDeviceLike,
  firmware: Uint8Array,
  options: FlashOptions = {},
): Promise<USBDevice | undefined> {
  if (personalityOf(device) !== 'dfu') {
    throw new ReefError('FAILED_PRECONDITION', 'flash: the device is not in its DFU personality (1a6e:089a)', {
      reason: 'not-dfu',
    });
  }
  if (firmware.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', 'flash: the firmware image is empty', { reason: 'empty-firmware' });
  }
  const usb = new UsbTransport(device, {
    label: options.label ?? 'dfu',
    timeoutMs: options.transferTimeoutMs ?? 2000,
    trace: options.trace,
  });
  const total = firmware.length;
  const progress = (phase: FlashProgress['phase'], bytesDone: number) =>
    options.onProgress?.({ phase, bytesDone, bytesTotal: total });

  await claimCoralInterface(device);
  const descriptor = parseDfuDescriptor(await readConfigurationDescriptor(usb));
  const iface = descriptor.interfaceNumber;
  if (iface !== CORAL_INTERFACE) await device.claimInterface(iface);
  const blockSize = descriptor.transferSize;
  const wait = { busyBudgetMs: options.busyTimeoutMs ?? 10_000 };

  // Whatever a previous session left (a tab closed mid-flash, a refused block): back to dfuIDLE.
  await toDfuIdle(usb, iface, wait);

  // §2.5: consecutive blocks from 0, GETSTATUS after each (again after bwPollTimeout while the
  // bootloader is busy), then the empty block ends it.
  let block = 0;
  for (let offset = 0; ; block++) {
    const n = Math.min(blockSize, total - offset);
    await dfuDownload(usb, iface, block, firmware.subarray(offset, offset + n));
    const status = await settledStatus(usb, iface, wait);
    if (status.status !== DFU_STATUS_OK) throw statusError(`block ${block}`, status);
    if (n === 0) {
      if (status.state !== DFU_STATE.dfuIDLE) throw statusError('the final empty block', status);
      break;
    }
    if (status.state !== DFU_STATE.dfuDNLOAD_IDLE) throw statusError(`block ${block}`, status);
    offset += n;
    progress('download', offset);
  }

  if (options.verify ?? true) {
    const parts: Uint8Array[] = [];
    let received = 0;
    for (let b = 0; ; b++) {
      const piece = await dfuUpload(usb, iface, b, blockSize);
      parts.push(piece);
      received += piece.length;
      progress('verify', Math.min(received, total));
      if (piece.length < blockSize || received > total + blockSize) break;
    }
    const back = new Uint8Array(received);
    let at = 0;
    for (const p of parts) {
      back.set(p, at);
      at += p.length;
    }
    if (received < total || back.subarray(0, total).some((byte, i) => byte !== firmware[i])) {
      throw new ReefError('DATA_LOSS', `flash: the image read back (${received} bytes) differs from the one sent`, {
        reason: 'verify-failed',
      });
    }
  }

  progress('reset', total);
  const appearing = options.usb ? waitForAppDevice(options.usb, device, options) : undefined;
  try {
    await device.reset();
  } catch {
    // Expected: the bootloader re-enumerates as another device, so the reset may report the device
    // as gone (webdfu ignores this too, protocol §2.7). A real failure shows up as no app device.
  }
  try {
    await device.close();
  } catch {
    // Expected when the device object is already gone.
  }
  if (!appearing) return undefined;
  progress('reconnect', total);
  const app = await appearing;
  markFreshDevice(app); // its reset just happened: the driver's reset-before-open is not needed
  return app;
}

/**
 * Resolves with the first 18d1:9302 device that is not `previous`: either announced by a
 * `connect` event or found by polling `getDevices()`.
 */
export async function waitForAppDevice(
  usb: UsbHostLike,
  previous: UsbDeviceLike | undefined,
  options: Pick<FlashOptions, 'reconnectTimeoutMs' | 'pollIntervalMs'> = {},
): Promise<USBDevice> {
  const timeoutMs = options.reconnectTimeoutMs ?? 10_000;
  const interval = options.pollIntervalMs ?? 100;
  // Some hosts hand out new objects on every listing (so identity alone cannot tell a newcomer):
  // a newcomer is an app device not seen before, once there are more app devices than before.
  const beforeApps = (await usb.getDevices()).filter((d) => personalityOf(d) === 'app');
  const before = new Set(beforeApps);
  const newcomer = (list: USBDevice[]): USBDevice | undefined => {
    const apps = list.filter((d) => personalityOf(d) === 'app' && d !== previous);
    if (apps.length <= beforeApps.length) return undefined;
    return apps.find((d) => !before.has(d)) ?? apps.at(-1);
  };
  return awaitDevice(usb, {
    // An event only reaches us for devices this page may use; anything else is not announced.
    announced: (device) => personalityOf(device) === 'app' && device !== previous,
    listed: newcomer,
    intervalMs: interval,
    timeoutMs,
    timeoutError: () =>
      new ReefError(
        'NOT_FOUND',
        `the Coral did not come back as 18d1:9302 within ${timeoutMs} ms. In a browser the new device needs ` +
          'permission: ask again with the Coral filters (requestDevice). In Node, check the udev rule / WinUSB driver ' +
          'for 18d1:9302 and replug the stick if it stays in DFU mode.',
        { reason: 'needs-permission' },
      ),
  });
}

export interface FirmwareCheck {
  variant: 'single-ep' | 'multi-ep';
}

/** The pinned SHA-256 of the two official images (protocol §2.1). */
export const FIRMWARE_SHA256 = {
  singleEp: '3b07311b174b81fd14fd2c887f40d646c0ebf2f140cc5ee5cf8befa0f3e3dc7f',
  multiEp: 'f95e0b348e3a38e1191ec81baa80c7c3c331556da6ca8be59c01d66769c3c415',
} as const;

/** Refuses a user-given file that is not the official single-endpoint image (the driver's mode). */
export async function checkFirmware(bytes: Uint8Array): Promise<FirmwareCheck> {
  const digest = await sha256Hex(bytes);
  if (digest === FIRMWARE_SHA256.singleEp) return { variant: 'single-ep' };
  if (digest === FIRMWARE_SHA256.multiEp) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      'this is the multi-endpoint firmware (apex_latest_multi_ep.bin); Reef drives the single-endpoint image apex_latest_single_ep.bin',
      { reason: 'wrong-firmware' },
    );
  }
  throw new ReefError(
    'INVALID_ARGUMENT',
    `not the Coral firmware: ${bytes.length} bytes with sha256 ${digest}, expected apex_latest_single_ep.bin (${FIRMWARE_SIZES.singleEp} bytes, sha256 ${FIRMWARE_SHA256.singleEp})`,
    { reason: 'wrong-firmware' },
  );
}
