/**
 * The worker's view of the accelerators: the device manager on this worker's `navigator.usb`
 * (injected in test builds), turned into plain data for the page.
 */
import { DeviceManager, type ManagedDevice, type UsbLike } from '../lib/edgetpu/manager.ts';
import type { Personality, UsbSpeed } from '../lib/edgetpu/identity.ts';

export interface DeviceInfo {
  id: string;
  personality: Personality;
  speed: UsbSpeed;
  /** What a person needs to know first. */
  state: 'needs-firmware' | 'ready' | 'busy' | 'error';
  error?: string;
  models: string[];
}

export function toDeviceInfo(device: ManagedDevice): DeviceInfo {
  return {
    id: device.id,
    personality: device.personality,
    speed: device.speed,
    state: device.personality === 'dfu' ? 'needs-firmware' : 'ready',
    models: [],
  };
}

export class WorkerDevices {
  readonly manager: DeviceManager | undefined;

  constructor(usb: UsbLike | undefined) {
    this.manager = usb ? new DeviceManager(usb) : undefined;
  }

  async refresh(): Promise<DeviceInfo[]> {
    return (await this.manager?.refresh())?.map(toDeviceInfo) ?? [];
  }

  list(): DeviceInfo[] {
    return this.manager?.list().map(toDeviceInfo) ?? [];
  }

  /** Calls `onChange` with the whole list after every plug or unplug; returns the unsubscribe. */
  watch(onChange: (devices: DeviceInfo[]) => void): () => void {
    return this.manager?.subscribe(() => onChange(this.list())) ?? (() => undefined);
  }
}
