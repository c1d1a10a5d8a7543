/**
 * Which devices this process already knows to be clean, so the reset-before-open (protocol §2.3)
 * happens once per stick and not again for one `flashFirmware` has just reset into its firmware.
 */
const clean = new WeakSet<object>();

/** `flashFirmware` calls this for the application device its own reset brought up. */
export function markFreshDevice(device: object): void {
  clean.add(device);
}

/** True when `device` needs the reset before its first open; from now on it counts as clean. */
export function needsFirstReset(device: object): boolean {
  if (clean.has(device)) return false;
  clean.add(device);
  return true;
}
