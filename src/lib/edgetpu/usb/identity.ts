/** How a Coral USB Accelerator shows itself on the bus (protocol doc §1.1, §1.4). */

/** DFU bootloader personality: what a freshly plugged stick is (protocol §1.1). */
export const DFU_VENDOR_ID = 0x1a6e;
export const DFU_PRODUCT_ID = 0x089a;
/** Application personality, after the firmware was downloaded (protocol §1.1). */
export const APP_VENDOR_ID = 0x18d1;
export const APP_PRODUCT_ID = 0x9302;

/** The filters for `navigator.usb.requestDevice`: both personalities, nothing else. */
export const CORAL_USB_FILTERS: readonly USBDeviceFilter[] = [
  { vendorId: DFU_VENDOR_ID, productId: DFU_PRODUCT_ID },
  { vendorId: APP_VENDOR_ID, productId: APP_PRODUCT_ID },
];

export type Personality = 'dfu' | 'app';
export type UsbSpeed = 'super' | 'high' | 'full' | 'unknown';

export function personalityOf(device: Pick<USBDevice, 'vendorId' | 'productId'>): Personality | undefined {
  if (device.vendorId === DFU_VENDOR_ID && device.productId === DFU_PRODUCT_ID) return 'dfu';
  if (device.vendorId === APP_VENDOR_ID && device.productId === APP_PRODUCT_ID) return 'app';
  return undefined;
}

/**
 * WebUSB does not report the link speed, but the bulk endpoints' max packet size does: 1024 bytes
 * at SuperSpeed, 512 at high speed, 64 at full speed (protocol §1.4). A bootloader has no bulk
 * endpoints, so its speed is unknown until it re-enumerates.
 */
export function usbSpeedOf(device: Pick<USBDevice, 'configuration' | 'configurations'>): UsbSpeed {
  const configuration = device.configuration ?? device.configurations[0];
  for (const iface of configuration?.interfaces ?? []) {
    for (const endpoint of iface.alternate?.endpoints ?? []) {
      if (endpoint.type !== 'bulk') continue;
      if (endpoint.packetSize >= 1024) return 'super';
      if (endpoint.packetSize >= 512) return 'high';
      return 'full';
    }
  }
  return 'unknown';
}
