/**
 * WebUSB's permission model in front of the emulated bus, for the virtual-coral test build and its
 * Node tests: `getDevices()` and connect/disconnect events show only devices the page was granted,
 * `requestDevice()` grants one. Chrome keys a grant by vendor/product (and serial), so after the
 * firmware re-enumerates the stick as 18d1:9302 the grant may or may not carry over: mode
 * `carry-over` grants the new personality of a granted stick, `ask-again` needs a second
 * `requestDevice` (the page's second permission prompt). Browser-safe: no Node imports.
 */
import type { UsbLike } from '../../../src/lib/edgetpu/devices/manager.ts';
import type { EmulatedUsb } from '../../emulator/usb-host.ts';
import type { VirtualCoral } from '../../emulator/virtual-coral.ts';

/** Marker that only an emulator test build contains (tpu-worker.spec.ts greps dist/ for it). */
export const VIRTUAL_USB_CHANNEL = 'reef-virtual-coral-test-build';

export type PermissionMode = 'carry-over' | 'ask-again';

type Listener = (event: USBConnectionEvent) => void;

function personality(device: USBDevice): 'dfu' | 'app' {
  return device.vendorId === 0x18d1 ? 'app' : 'dfu';
}

function matchesFilters(device: USBDevice, filters: readonly USBDeviceFilter[]): boolean {
  return (
    filters.length === 0 ||
    filters.some(
      (f) =>
        (f.vendorId === undefined || f.vendorId === device.vendorId) &&
        (f.productId === undefined || f.productId === device.productId),
    )
  );
}

export class PermissionedUsb implements UsbLike {
  readonly #inner: EmulatedUsb;
  readonly #corals: readonly VirtualCoral[];
  readonly #listeners = { connect: new Set<Listener>(), disconnect: new Set<Listener>() };
  /** `coralIndex:personality` keys this page holds a grant for. */
  readonly #grants = new Set<string>();
  mode: PermissionMode;

  constructor(inner: EmulatedUsb, corals: readonly VirtualCoral[], mode: PermissionMode = 'carry-over') {
    this.#inner = inner;
    this.#corals = corals;
    this.mode = mode;
    inner.addEventListener('connect', (event: USBConnectionEvent) => this.#forward('connect', event));
    inner.addEventListener('disconnect', (event: USBConnectionEvent) => this.#forward('disconnect', event));
  }

  /** Grant keys: the stick, and its personality unless grants carry over to the new one. */
  #key(coral: number, which: 'dfu' | 'app'): string {
    return this.mode === 'carry-over' ? `${coral}` : `${coral}:${which}`;
  }

  #coralOf(device: USBDevice): number {
    return this.#corals.findIndex((c) => c.device === device);
  }

  isGranted(device: USBDevice, coral = this.#coralOf(device)): boolean {
    return coral >= 0 && this.#grants.has(this.#key(coral, personality(device)));
  }

  /** Forget every grant (a fresh profile). */
  revokeAll(): void {
    this.#grants.clear();
  }

  /** The grants to remember across a page reload (Chrome keeps USB grants per origin). */
  grantKeys(): string[] {
    return [...this.#grants];
  }

  /**
   * Until `ready` settles (the worker recalling the bus it had before a reload), the bus answers
   * nothing: a page must not see "no Coral" just because the stick was not re-created yet.
   */
  restore<M extends { grants: readonly string[]; mode: PermissionMode }>(
    ready: Promise<M | undefined>,
    plugIn: (memory: M | undefined) => void,
  ): void {
    this.#ready = ready.then((memory) => {
      if (memory) {
        this.mode = memory.mode;
        for (const key of memory.grants) this.#grants.add(key);
      }
      // Grants first: a remembered stick announces itself to the page as it plugs in.
      plugIn(memory);
    });
  }

  #ready: Promise<void> = Promise.resolve();

  #forward(type: 'connect' | 'disconnect', event: USBConnectionEvent): void {
    let granted: boolean;
    if (type === 'connect') {
      granted = this.isGranted(event.device);
      if (granted) this.#granted.add(event.device);
    } else {
      // A device that went away is no longer its coral's `device`: remember what was announced.
      granted = this.#granted.delete(event.device);
    }
    if (granted) for (const listener of [...this.#listeners[type]]) listener(event);
  }

  /** Device objects announced to this page (to know which disconnects to pass on). */
  readonly #granted = new Set<USBDevice>();

  async getDevices(): Promise<USBDevice[]> {
    await this.#ready;
    const all = await this.#inner.getDevices();
    const visible = all.filter((d) => this.isGranted(d));
    for (const d of visible) this.#granted.add(d);
    return visible;
  }

  /**
   * The chooser, as a person uses it: picks a matching device this page has no grant for yet (the
   * one just plugged in), else the first matching one.
   */
  async requestDevice(options: USBDeviceRequestOptions): Promise<USBDevice> {
    await this.#ready;
    const all = (await this.#inner.getDevices()).filter((d) => matchesFilters(d, options.filters));
    const device = all.find((d) => !this.isGranted(d)) ?? all[0];
    if (!device) throw new DOMException('No device selected.', 'NotFoundError');
    const coral = this.#coralOf(device);
    const newly = !this.isGranted(device, coral);
    this.#grants.add(this.#key(coral, personality(device)));
    this.#granted.add(device);
    // Chrome announces a newly granted device to the page's (and its workers') listeners.
    if (newly) {
      const event = Object.assign(new Event('connect'), { device }) as unknown as USBConnectionEvent;
      for (const listener of [...this.#listeners.connect]) listener(event);
    }
    return device;
  }

  addEventListener(type: 'connect' | 'disconnect', listener: Listener): void {
    this.#listeners[type].add(listener);
  }

  removeEventListener(type: 'connect' | 'disconnect', listener: Listener): void {
    this.#listeners[type].delete(listener);
  }
}

/** Messages of the test channel between the page shim and the worker's virtual bus. */
export type VirtualUsbRequest =
  | { op: 'requestDevice'; call: string; filters: USBDeviceFilter[] }
  | { op: 'unplug' | 'replug'; call: string; coral: number }
  | { op: 'mode'; call: string; mode: PermissionMode }
  /** Plug in one more virtual Coral (DFU personality), e.g. on a USB 2 port (`high`). */
  | { op: 'add'; call: string; speed: 'super' | 'high' }
  /** Arm a fault on one coral: DFU error at a block, or unplug at the k-th transfer or request from now. */
  | {
      op: 'fault';
      call: string;
      coral: number;
      fault: 'dfu-fail-at-block' | 'unplug-at-transfer' | 'unplug-at-request';
      n: number;
    }
  | { op: 'state'; call: string };

export interface VirtualCoralState {
  personality: 'dfu' | 'app' | 'unplugged';
  firmware: string;
  enumerations: number;
  granted: boolean;
  violations: string[];
}

export type VirtualUsbReply =
  | { call: string; ok: true; device?: { vendorId: number; productId: number; productName: string | undefined } }
  | { call: string; ok: true; state: { mode: PermissionMode; corals: VirtualCoralState[] } }
  | { call: string; ok: false; name: string; message: string };
