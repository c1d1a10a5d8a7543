/**
 * Waiting for a USB device to (re)appear: a `connect` event or a `getDevices()` poll, whichever
 * sees it first, with a time limit. WebUSB may miss or never send the event (another process
 * owning the bus, a host that re-enumerates quietly), so the poll backs it up.
 */
import type { ReefError } from '../../errors.ts';
import type { UsbHostLike } from './device.ts';

export interface AwaitDeviceOptions {
  /** Whether the device a `connect` event announces is the one awaited. */
  announced(device: USBDevice): boolean;
  /** The awaited device in a `getDevices()` listing, if it is there. */
  listed(list: USBDevice[]): USBDevice | undefined;
  intervalMs: number;
  timeoutMs: number;
  /** The error to reject with when `timeoutMs` passes. */
  timeoutError(): ReefError;
  /** Look at the listing once right away (the device may be back already). */
  lookNow?: boolean;
}

export function awaitDevice(usb: UsbHostLike, options: AwaitDeviceOptions): Promise<USBDevice> {
  return new Promise<USBDevice>((resolve, reject) => {
    let done = false;
    const finish = (device: USBDevice | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      usb.removeEventListener('connect', onConnect);
      if (device) resolve(device);
      else reject(options.timeoutError());
    };
    const onConnect = (event: USBConnectionEvent) => {
      if (options.announced(event.device)) finish(event.device);
    };
    const look = () =>
      void usb.getDevices().then(
        (list) => {
          const found = options.listed(list);
          if (found) finish(found);
        },
        () => undefined, // a failed listing is retried on the next tick
      );
    usb.addEventListener('connect', onConnect);
    const poll = setInterval(look, options.intervalMs);
    const timer = setTimeout(() => finish(undefined), options.timeoutMs);
    if (options.lookNow) look();
  });
}
