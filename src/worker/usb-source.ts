/**
 * Where the worker's USB comes from: `navigator.usb` of this worker (Chromium exposes WebUSB to
 * dedicated workers). The virtual-coral TEST build (`REEF_TEST_USB=virtual-coral vite build`, see
 * vite.config.ts) aliases this module to tests/e2e/support/virtual-usb-worker.ts, which has the same
 * export; normal builds never contain the emulator (tests/e2e/tpu-worker.spec.ts checks dist/).
 */
import type { UsbLike } from '../lib/edgetpu/devices/manager.ts';

export function workerUsb(): UsbLike | undefined {
  return typeof navigator !== 'undefined' && 'usb' in navigator && navigator.usb ? navigator.usb : undefined;
}
