/**
 * Where the worker's USB comes from: `navigator.usb` of this worker (Chromium exposes WebUSB to
 * dedicated workers). A test build swaps this module for the virtual Coral (vite.config.ts,
 * mode `emulator`); production builds never contain it.
 */
import type { UsbLike } from '../lib/edgetpu/manager.ts';

export function workerUsb(): UsbLike | undefined {
  return typeof navigator !== 'undefined' && 'usb' in navigator && navigator.usb ? navigator.usb : undefined;
}
