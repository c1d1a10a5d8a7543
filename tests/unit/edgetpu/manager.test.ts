import { describe, expect, it } from 'vitest';
import { DeviceManager, type DeviceEvent, type UsbLike } from '../../../src/lib/edgetpu/devices/manager.ts';
import { CORAL_USB_FILTERS, personalityOf, usbSpeedOf } from '../../../src/lib/edgetpu/usb/identity.ts';

/** Just enough of a USBDevice for identity: IDs and, for the app personality, bulk endpoints. */
function fakeDevice(vendorId: number, productId: number, bulkPacketSize?: number): USBDevice {
  const endpoints = bulkPacketSize
    ? [{ endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: bulkPacketSize }]
    : [];
  const configuration = { configurationValue: 1, interfaces: [{ interfaceNumber: 0, alternate: { endpoints } }] };
  return { vendorId, productId, configuration: null, configurations: [configuration] } as unknown as USBDevice;
}
const dfu = () => fakeDevice(0x1a6e, 0x089a);
const app = (packet = 1024) => fakeDevice(0x18d1, 0x9302, packet);

class FakeUsb implements UsbLike {
  devices: USBDevice[] = [];
  readonly #events = new EventTarget();
  async getDevices() {
    return [...this.devices];
  }
  plug(device: USBDevice) {
    this.devices.push(device);
    this.#events.dispatchEvent(Object.assign(new Event('connect'), { device }));
  }
  unplug(device: USBDevice) {
    this.devices = this.devices.filter((d) => d !== device);
    this.#events.dispatchEvent(Object.assign(new Event('disconnect'), { device }));
  }
  addEventListener(type: string, listener: (e: USBConnectionEvent) => void) {
    this.#events.addEventListener(type, listener as unknown as EventListener);
  }
  removeEventListener(type: string, listener: (e: USBConnectionEvent) => void) {
    this.#events.removeEventListener(type, listener as unknown as EventListener);
  }
}

describe('identity', () => {
  it('knows both personalities and nothing else', () => {
    expect(personalityOf(dfu())).toBe('dfu');
    expect(personalityOf(app())).toBe('app');
    expect(personalityOf(fakeDevice(0x18d1, 0x9303))).toBeUndefined();
    expect(CORAL_USB_FILTERS).toEqual([
      { vendorId: 0x1a6e, productId: 0x089a },
      { vendorId: 0x18d1, productId: 0x9302 },
    ]);
  });

  it('reads the link speed from the bulk packet size', () => {
    expect(usbSpeedOf(app(1024))).toBe('super');
    expect(usbSpeedOf(app(512))).toBe('high');
    expect(usbSpeedOf(app(64))).toBe('full');
    expect(usbSpeedOf(dfu())).toBe('unknown');
  });
});

describe('DeviceManager', () => {
  it('names granted Corals usb:0… in enumeration order and ignores other devices', async () => {
    const usb = new FakeUsb();
    usb.devices = [app(), fakeDevice(0x046d, 0xc52b), dfu(), app(512)];
    const manager = new DeviceManager(usb);
    const list = await manager.refresh();
    expect(list.map((d) => [d.id, d.personality, d.speed])).toEqual([
      ['usb:0', 'app', 'super'],
      ['usb:1', 'dfu', 'unknown'],
      ['usb:2', 'app', 'high'],
    ]);
    expect(manager.get('usb')?.id).toBe('usb:0');
    expect(manager.get('usb:2')?.speed).toBe('high');
    expect(manager.get('usb:9')).toBeUndefined();
  });

  it('follows hot plug: ids stay with their device, a newcomer takes the lowest free number', async () => {
    const usb = new FakeUsb();
    const [a, b, c] = [app(), app(), app()];
    usb.devices = [a, b, c];
    const manager = new DeviceManager(usb);
    await manager.refresh();
    const events: string[] = [];
    manager.subscribe((e: DeviceEvent) => events.push(`${e.type} ${e.device.id}`));

    usb.unplug(b);
    expect(manager.list().map((d) => d.id)).toEqual(['usb:0', 'usb:2']);
    const d = app();
    usb.plug(d);
    expect(manager.list().map((x) => [x.id, x.device === d])).toEqual([
      ['usb:0', false],
      ['usb:1', true],
      ['usb:2', false],
    ]);
    expect(events).toEqual(['removed usb:1', 'added usb:1']);
    manager.dispose();
    usb.plug(app());
    expect(manager.list()).toHaveLength(3);
  });

  it('a refresh notices devices that went away while nobody listened', async () => {
    const usb = new FakeUsb();
    const a = app();
    usb.devices = [a, dfu()];
    const manager = new DeviceManager(usb);
    await manager.refresh();
    usb.devices = usb.devices.filter((x) => x !== a);
    expect((await manager.refresh()).map((x) => x.id)).toEqual(['usb:1']);
  });
});
