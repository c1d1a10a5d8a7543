/**
 * All the driver may touch of a USB device: a subset of WebUSB's `USBDevice`, so `navigator.usb`
 * devices (worker), node-usb's `WebUSBDevice` (CLI) and the virtual Coral (tests) all satisfy it.
 */
export type UsbDeviceLike = Pick<
  USBDevice,
  | 'vendorId'
  | 'productId'
  | 'opened'
  | 'configuration'
  | 'configurations'
  | 'open'
  | 'close'
  | 'reset'
  | 'selectConfiguration'
  | 'claimInterface'
  | 'releaseInterface'
  | 'controlTransferIn'
  | 'controlTransferOut'
  | 'transferIn'
  | 'transferOut'
>;

/** The USB object that lists granted devices and reports hot plug (navigator.usb, node-usb's WebUSB). */
export interface UsbHostLike {
  getDevices(): Promise<USBDevice[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: USBConnectionEvent) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (event: USBConnectionEvent) => void): void;
}

/** The one interface both personalities use (protocol §1.2, §2.4: interface 0 in practice). */
export const CORAL_INTERFACE = 0;

/** Opens the device, selects configuration 1 when the OS has none, claims interface 0 (protocol §2.8 step 4). */
export async function claimCoralInterface(device: UsbDeviceLike): Promise<void> {
  if (!device.opened) await device.open();
  if (device.configuration === null) await device.selectConfiguration(1);
  await device.claimInterface(CORAL_INTERFACE);
}
