/**
 * The page's only USB call: asking the person which Coral Reef may use. `requestDevice` works only
 * on the page and only from a click (a USBDevice cannot be sent to a worker); the worker then finds
 * the granted device itself with `getDevices()`.
 */
import { CORAL_USB_FILTERS } from '../../../lib/edgetpu/usb/identity.ts';

export type PermissionOutcome = 'granted' | 'dismissed' | 'unsupported';

export async function requestCoralPermission(
  filters: readonly USBDeviceFilter[] = CORAL_USB_FILTERS,
): Promise<PermissionOutcome> {
  if (!('usb' in navigator) || !navigator.usb) return 'unsupported';
  try {
    await navigator.usb.requestDevice({ filters: [...filters] });
    return 'granted';
  } catch (error) {
    // NotFoundError: the chooser was closed without a choice (or listed nothing to choose).
    if (error instanceof DOMException && error.name === 'NotFoundError') return 'dismissed';
    throw error;
  }
}
