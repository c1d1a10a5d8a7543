/**
 * One call for the commands that need a ready Edge TPU: find `usb`/`usb:N`, flash the firmware if
 * the stick is still its DFU bootloader (libedgetpu does the same on open), then open the driver.
 */
import { writeFileSync, appendFileSync } from 'node:fs';
import {
  createTraceRecorder,
  flashFirmware,
  openEdgeTpu,
  type ClockPreset,
  type EdgeTpu,
  type TraceRecorder,
  type UsbHostLike,
} from '../../lib/edgetpu/index.ts';
import { ReefError } from '../../lib/errors.ts';
import { loadFirmware } from './firmware.ts';
import { findCoral, permissionHint, type CoralEntry } from './node-usb.ts';

/** JSON lines, one per transfer, appended to `path` as they happen (survives a crash mid-run). */
export function traceToFile(path: string): TraceRecorder {
  writeFileSync(path, '');
  return createTraceRecorder({
    keep: false,
    dataLimitBytes: 4096,
    onLine: (line) => appendFileSync(path, `${line}\n`),
  });
}

export interface OpenCoralOptions {
  spec?: string;
  firmwareFile?: string;
  clock?: ClockPreset;
  trace?: TraceRecorder;
  log?: (line: string) => void;
}

export function parseClock(value: string | undefined): ClockPreset | undefined {
  if (value === undefined) return undefined;
  if (value === 'std') return 'high';
  if (value === 'low' || value === 'medium' || value === 'high' || value === 'max') return value;
  throw new ReefError('INVALID_ARGUMENT', `--clock ${value}: use max, std (= high), medium or low`, {
    reason: 'bad-clock',
  });
}

/** `entry` running its firmware: flashed first when it is still its DFU bootloader (as libedgetpu on open). */
export async function readyCoral(
  usb: UsbHostLike,
  entry: CoralEntry,
  options: Pick<OpenCoralOptions, 'firmwareFile' | 'trace' | 'log'> = {},
): Promise<CoralEntry> {
  if (entry.personality !== 'dfu') return entry;
  const log = options.log ?? (() => undefined);
  log(`${entry.id} is in its DFU bootloader: flashing the firmware…`);
  const firmware = await loadFirmware(options.firmwareFile, log);
  const app = await flashFirmware(entry.device, firmware, {
    usb,
    label: entry.id,
    ...(options.trace ? { trace: options.trace } : {}),
  });
  if (!app)
    throw new ReefError('NOT_FOUND', 'the Coral did not come back after the firmware download', {
      reason: 'no-device',
    });
  return { ...entry, device: app, personality: 'app' };
}

export async function openCoral(
  usb: UsbHostLike,
  options: OpenCoralOptions = {},
): Promise<{ tpu: EdgeTpu; id: string }> {
  const entry = await readyCoral(usb, await findCoral(usb, options.spec ?? 'usb'), options);
  const device: USBDevice = entry.device;
  try {
    const tpu = await openEdgeTpu(device, {
      label: entry.id,
      usb, // to find the stick again if a reset re-enumerates it
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.trace ? { trace: options.trace } : {}),
    });
    return { tpu, id: entry.id };
  } catch (error) {
    if (error instanceof ReefError && error.reason === 'no-permission') {
      throw new ReefError(error.code, `${error.message}\n${permissionHint()}`, {
        reason: 'no-permission',
        cause: error,
      });
    }
    throw error;
  }
}
