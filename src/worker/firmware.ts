/**
 * The firmware step in the worker: a Coral in its DFU personality (1a6e:089a) gets the official
 * single-endpoint image — downloaded at run time (pinned sha256, kept in the file cache) or a file
 * the person gave — then re-enumerates as 18d1:9302. WebUSB cannot follow a device across the
 * VID/PID change, so the new device is looked for with `getDevices()` (Chrome usually carries the
 * permission over); when it does not show up in time the outcome tells the page to ask again
 * (`requestDevice` with the Coral filters), and the person is told why in place.
 */
import {
  CORAL_USB_FILTERS,
  checkFirmware,
  flashFirmware,
  type DevicePool,
  type FlashProgress,
  type TraceRecorder,
  type UsbHostLike,
} from '../lib/edgetpu/index.ts';
import { ReefError } from '../lib/errors.ts';
import { FIRMWARE_FILE, fetchPinnedFile, type FileCache } from '../lib/zoo/index.ts';

/** `download`: the pinned image from the firmware URL (or the cache); `{ bytes }`: a file the person chose. */
export type FirmwareSource = 'download' | { bytes: Uint8Array };

export interface FirmwareProgress {
  /** `fetch`: getting the image; then the driver's DFU phases. */
  phase: 'fetch' | FlashProgress['phase'];
  bytesDone: number;
  bytesTotal: number;
}

export interface FirmwareOptions {
  /** Base URL of the published files (the Models page's setting); default the public one. */
  baseUrl?: string;
  /** How long to look for 18d1:9302 after the reset before asking for permission. Default 6000 ms. */
  reconnectTimeoutMs?: number;
  /** Records the DFU transfers too (the worker API's trace switch). */
  trace?: TraceRecorder;
}

export type FirmwareOutcome =
  | {
      status: 'ready';
      /** The re-enumerated TPU's id (usb:N). */
      device: string;
      /** Where the image came from. */
      source: 'download' | 'cache' | 'file';
    }
  | {
      /** Flashed, but this page may not see the new device yet: call `requestDevice` with `filters`, then `refreshDevices()`. */
      status: 'needs-permission';
      message: string;
      filters: USBDeviceFilter[];
      source: 'download' | 'cache' | 'file';
    };

/** Text the page shows beside the second prompt: why a second permission is asked for. */
export const SECOND_PROMPT_MESSAGE =
  'The firmware is on the Coral. It restarted as a new USB device (18d1:9302, "Google Inc."), and this ' +
  'browser needs your permission for that device too: choose it in the next dialog.';

export async function flashDevice(
  pool: DevicePool,
  usb: UsbHostLike,
  cache: FileCache,
  deviceId: string,
  source: FirmwareSource,
  onProgress: ((p: FirmwareProgress) => void) | undefined,
  options: FirmwareOptions = {},
): Promise<FirmwareOutcome> {
  if (pool.manager.list().length === 0) await pool.refresh();
  const managed = pool.manager.get(deviceId);
  if (!managed) {
    throw new ReefError('NOT_FOUND', `no Coral "${deviceId}" is connected`, { reason: 'unknown-device' });
  }
  if (managed.personality !== 'dfu') {
    throw new ReefError('FAILED_PRECONDITION', `${deviceId} already runs its firmware; nothing to flash`, {
      reason: 'not-dfu',
    });
  }

  let firmware: Uint8Array;
  let from: 'download' | 'cache' | 'file';
  if (source === 'download') {
    from = (await cache.get(FIRMWARE_FILE.sha256)) ? 'cache' : 'download';
    firmware = await fetchPinnedFile(FIRMWARE_FILE, {
      cache,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      onProgress: (p) => onProgress?.({ phase: 'fetch', bytesDone: p.receivedBytes, bytesTotal: p.totalBytes }),
    });
  } else {
    // Refuses the multi-endpoint image and anything else with a reason the page can show.
    await checkFirmware(source.bytes);
    firmware = source.bytes;
    from = 'file';
  }
  onProgress?.({ phase: 'fetch', bytesDone: firmware.length, bytesTotal: firmware.length });

  let appDevice: USBDevice | undefined;
  try {
    appDevice = await flashFirmware(managed.device, firmware, {
      usb,
      label: deviceId,
      reconnectTimeoutMs: options.reconnectTimeoutMs ?? 6000,
      ...(options.trace ? { trace: options.trace } : {}),
      onProgress: (p) => onProgress?.({ phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
    });
  } catch (error) {
    if (error instanceof ReefError && error.reason === 'needs-permission') {
      await pool.refresh();
      return {
        status: 'needs-permission',
        message: SECOND_PROMPT_MESSAGE,
        filters: CORAL_USB_FILTERS.map((f) => ({ ...f })),
        source: from,
      };
    }
    throw error;
  }
  await pool.refresh();
  const found = pool.manager.list().find((d) => d.device === appDevice);
  if (!found) {
    throw new ReefError('INTERNAL', 'the Coral came back as 18d1:9302 but is not in the device list', {
      reason: 'lost-after-flash',
    });
  }
  return { status: 'ready', device: found.id, source: from };
}
