/**
 * One enumeration of the virtual Coral as a WebUSB `USBDevice`. A new object is made every time
 * the stick (re-)enumerates, as a browser does; the old one then answers `NotFoundError`.
 * WebUSB's host-side rules are enforced too (§8 #6): open before I/O, a configuration selected and
 * the interface claimed before bulk or class transfers.
 */
import { domError, EmulatorProtocolError } from './errors.ts';
import { makeConfiguration, type LinkSpeed } from './descriptors.ts';

export interface DeviceBackend {
  personality: 'dfu' | 'app';
  controlIn(setup: USBControlTransferParameters, length: number): Promise<USBInTransferResult>;
  controlOut(setup: USBControlTransferParameters, data: Uint8Array): Promise<USBOutTransferResult>;
  transferIn(endpoint: number, length: number, timeoutMs?: number): Promise<USBInTransferResult>;
  transferOut(endpoint: number, data: Uint8Array): Promise<USBOutTransferResult>;
  reset(device: EmulatedUsbDevice): Promise<void>;
  /** Pending transfers must reject (close/release). */
  abort(error: Error): void;
}

function bytesOf(data: BufferSource | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class EmulatedUsbDevice implements USBDevice {
  readonly usbVersionMajor: number;
  readonly usbVersionMinor: number;
  readonly usbVersionSubminor = 0;
  readonly deviceClass = 0;
  readonly deviceSubclass = 0;
  readonly deviceProtocol = 0;
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor = 1;
  readonly deviceVersionMinor = 0;
  readonly deviceVersionSubminor = 0;
  // §1.2: no string descriptors, so no names and no serial number.
  readonly manufacturerName = null;
  readonly productName = null;
  readonly serialNumber = null;
  readonly configurations: USBConfiguration[];
  readonly #iface: { claimed: boolean };
  readonly #backend: DeviceBackend;
  #configuration: USBConfiguration | null = null;
  #opened = false;
  /** false once the stick re-enumerated or was unplugged: this object is dead. */
  attached = true;

  constructor(backend: DeviceBackend, speed: LinkSpeed) {
    this.#backend = backend;
    const app = backend.personality === 'app';
    this.vendorId = app ? 0x18d1 : 0x1a6e;
    this.productId = app ? 0x9302 : 0x089a;
    this.usbVersionMajor = app ? 3 : 2;
    this.usbVersionMinor = app ? 1 : 0;
    const { configuration, iface } = makeConfiguration(backend.personality, speed);
    this.configurations = [configuration];
    this.#iface = iface;
  }

  get configuration(): USBConfiguration | null {
    return this.#configuration;
  }
  get opened(): boolean {
    return this.#opened;
  }
  get claimed(): boolean {
    return this.#iface.claimed;
  }

  #alive(): void {
    if (!this.attached) throw domError('NotFoundError', 'The device was disconnected.');
  }
  #ready(needsInterface: boolean): void {
    this.#alive();
    if (!this.#opened) throw domError('InvalidStateError', 'The device must be opened first.');
    if (needsInterface) {
      if (!this.#configuration) throw domError('InvalidStateError', 'The device must have a configuration selected.');
      if (!this.#iface.claimed)
        throw domError(
          'InvalidStateError',
          'The specified endpoint is not part of a claimed and selected alternate interface.',
        );
    }
  }

  async open(): Promise<void> {
    this.#alive();
    this.#opened = true;
  }
  async close(): Promise<void> {
    this.#alive();
    if (this.#iface.claimed) this.#backend.abort(domError('AbortError', 'The transfer was cancelled.'));
    this.#iface.claimed = false;
    this.#opened = false;
  }
  async forget(): Promise<void> {
    await this.close();
  }
  async selectConfiguration(value: number): Promise<void> {
    this.#ready(false);
    if (value !== 1) throw domError('NotFoundError', `The configuration value ${value} is not supported.`);
    this.#configuration = this.configurations[0]!;
  }
  async claimInterface(n: number): Promise<void> {
    this.#ready(false);
    if (!this.#configuration) throw domError('InvalidStateError', 'The device must have a configuration selected.');
    if (n !== 0) throw domError('NotFoundError', `The interface number ${n} is not part of the configuration.`);
    this.#iface.claimed = true;
  }
  async releaseInterface(n: number): Promise<void> {
    this.#ready(false);
    if (n !== 0) throw domError('NotFoundError', `The interface number ${n} is not part of the configuration.`);
    if (this.#iface.claimed) this.#backend.abort(domError('AbortError', 'The transfer was cancelled.'));
    this.#iface.claimed = false;
  }
  async selectAlternateInterface(n: number, alt: number): Promise<void> {
    this.#ready(true);
    if (n !== 0 || alt !== 0) throw domError('NotFoundError', 'Unsupported alternate setting.');
  }
  async controlTransferIn(setup: USBControlTransferParameters, length: number): Promise<USBInTransferResult> {
    this.#ready(setup.recipient === 'interface' || setup.recipient === 'endpoint');
    return this.#backend.controlIn(setup, length);
  }
  async controlTransferOut(setup: USBControlTransferParameters, data?: BufferSource): Promise<USBOutTransferResult> {
    this.#ready(setup.recipient === 'interface' || setup.recipient === 'endpoint');
    return this.#backend.controlOut(setup, bytesOf(data));
  }
  async clearHalt(): Promise<void> {
    this.#ready(true);
  }
  /** The third argument is node-usb's timeout; WebUSB has none (used only with `hostTimeouts`). */
  async transferIn(endpoint: number, length: number, timeoutMs?: number): Promise<USBInTransferResult> {
    this.#ready(true);
    return this.#backend.transferIn(endpoint, length, timeoutMs);
  }
  async transferOut(endpoint: number, data: BufferSource): Promise<USBOutTransferResult> {
    this.#ready(true);
    return this.#backend.transferOut(endpoint, bytesOf(data).slice());
  }
  async isochronousTransferIn(): Promise<USBIsochronousInTransferResult> {
    throw new EmulatorProtocolError('the Coral has no isochronous endpoints');
  }
  async isochronousTransferOut(): Promise<USBIsochronousOutTransferResult> {
    throw new EmulatorProtocolError('the Coral has no isochronous endpoints');
  }
  async reset(): Promise<void> {
    this.#ready(false);
    await this.#backend.reset(this);
  }

  /** The coral detached this object (unplug or re-enumeration). */
  kill(): void {
    this.attached = false;
    this.#opened = false;
    this.#iface.claimed = false;
  }
}
