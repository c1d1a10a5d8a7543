/**
 * Every Coral this page (or process) may use, with the ids users know from pycoral: `usb:0`,
 * `usb:1`… in enumeration order. An id stays with its device while it is plugged in; a new device
 * takes the lowest free number. Hot plug: `connect`/`disconnect` events update the list and notify
 * listeners, and a device that disappears fails whatever was pending on it (owners subscribe).
 */
import { personalityOf, usbSpeedOf, type Personality, type UsbSpeed } from '../usb/identity.ts';

/** The parts of `navigator.usb` (or node-usb's `WebUSB`, or the emulator) the manager uses. */
export interface UsbLike {
  getDevices(): Promise<USBDevice[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: USBConnectionEvent) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (event: USBConnectionEvent) => void): void;
}

export interface ManagedDevice {
  id: string;
  device: USBDevice;
  personality: Personality;
  speed: UsbSpeed;
}

export interface DeviceEvent {
  type: 'added' | 'removed';
  device: ManagedDevice;
}

export class DeviceManager {
  readonly #usb: UsbLike;
  readonly #devices = new Map<USBDevice, ManagedDevice>();
  readonly #listeners = new Set<(event: DeviceEvent) => void>();
  readonly #onConnect = (event: USBConnectionEvent): void => void this.#add(event.device);
  readonly #onDisconnect = (event: USBConnectionEvent): void => this.#remove(event.device);
  #watching = false;

  constructor(usb: UsbLike) {
    this.#usb = usb;
  }

  /** Re-reads the granted devices (after a permission prompt) and starts listening for hot plug. */
  async refresh(): Promise<ManagedDevice[]> {
    // List first: when USB itself is unavailable this rejects here, where the caller handles it
    // (node-usb's first event listener starts its own listing, whose failure nobody could catch).
    const present = await this.#usb.getDevices();
    if (!this.#watching) {
      this.#usb.addEventListener('connect', this.#onConnect);
      this.#usb.addEventListener('disconnect', this.#onDisconnect);
      this.#watching = true;
    }
    for (const known of [...this.#devices.keys()]) if (!present.includes(known)) this.#remove(known);
    for (const device of present) this.#add(device);
    return this.list();
  }

  list(): ManagedDevice[] {
    return [...this.#devices.values()].sort((a, b) => indexOf(a.id) - indexOf(b.id));
  }

  get(id: string): ManagedDevice | undefined {
    if (id === 'usb') return this.list()[0];
    return this.list().find((d) => d.id === id);
  }

  subscribe(listener: (event: DeviceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  dispose(): void {
    if (this.#watching) {
      this.#usb.removeEventListener('connect', this.#onConnect);
      this.#usb.removeEventListener('disconnect', this.#onDisconnect);
      this.#watching = false;
    }
    this.#listeners.clear();
  }

  #add(device: USBDevice): void {
    const personality = personalityOf(device);
    if (!personality || this.#devices.has(device)) return;
    const used = new Set(this.list().map((d) => indexOf(d.id)));
    let n = 0;
    while (used.has(n)) n++;
    const managed: ManagedDevice = { id: `usb:${n}`, device, personality, speed: usbSpeedOf(device) };
    this.#devices.set(device, managed);
    this.#emit({ type: 'added', device: managed });
  }

  #remove(device: USBDevice): void {
    const managed = this.#devices.get(device);
    if (!managed) return;
    this.#devices.delete(device);
    this.#emit({ type: 'removed', device: managed });
  }

  #emit(event: DeviceEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

function indexOf(id: string): number {
  return Number(id.slice(id.indexOf(':') + 1));
}
