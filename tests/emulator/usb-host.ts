/**
 * An emulated `navigator.usb` / node-usb `WebUSB`: the devices currently attached, `getDevices()`,
 * `requestDevice()` with filters, and `connect`/`disconnect` events carrying the device object.
 */
import type { UsbHostLike } from '../../src/lib/edgetpu/usb/device.ts';

export class EmulatedUsb extends EventTarget implements UsbHostLike {
  readonly #devices: USBDevice[] = [];
  onconnect: ((event: USBConnectionEvent) => void) | null = null;
  ondisconnect: ((event: USBConnectionEvent) => void) | null = null;

  async getDevices(): Promise<USBDevice[]> {
    return [...this.#devices];
  }

  async requestDevice(options?: USBDeviceRequestOptions): Promise<USBDevice> {
    const filters = options?.filters ?? [];
    const found = this.#devices.find(
      (d) =>
        filters.length === 0 ||
        filters.some(
          (f) =>
            (f.vendorId === undefined || f.vendorId === d.vendorId) &&
            (f.productId === undefined || f.productId === d.productId),
        ),
    );
    if (!found) throw new DOMException('No device selected.', 'NotFoundError');
    return found;
  }

  attach(device: USBDevice): void {
    this.#devices.push(device);
    this.#emit('connect', device);
  }

  detach(device: USBDevice): void {
    const i = this.#devices.indexOf(device);
    if (i < 0) return;
    this.#devices.splice(i, 1);
    this.#emit('disconnect', device);
  }

  #emit(type: 'connect' | 'disconnect', device: USBDevice): void {
    const event = Object.assign(new Event(type), { device }) as unknown as USBConnectionEvent;
    this.dispatchEvent(event as unknown as Event);
    const handler = type === 'connect' ? this.onconnect : this.ondisconnect;
    handler?.(event);
  }

  override addEventListener(
    type: string,
    listener: ((event: USBConnectionEvent) => void) | EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener(
    type: string,
    listener: ((event: USBConnectionEvent) => void) | EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }
}
