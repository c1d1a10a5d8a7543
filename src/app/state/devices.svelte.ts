/** The Devices page: the worker's list of accelerators, live, and the permission flow. */
import { proxy } from 'comlink';
import type { DeviceInfo } from '../../worker/accelerator-api.ts';
import { accelerator } from '../accelerator.ts';
import { requestCoralPermission } from '../usb-permission.ts';
import { errorMessage } from './errors.ts';

export class DevicesState {
  devices = $state<DeviceInfo[]>([]);
  message = $state<{ kind: 'info' | 'error'; text: string } | undefined>(undefined);
  supported = $state('usb' in navigator);
  connecting = $state(false);
  needsFirmware = $derived(this.devices.some((d) => d.state === 'needs-firmware'));

  /** Loads the list and follows hot plug until the returned cleanup runs. */
  start(): () => void {
    let watchId: number | undefined;
    let stopped = false;
    const api = accelerator();
    void (async () => {
      this.devices = await api.refreshDevices();
      const id = await api.watchDevices(proxy((list: DeviceInfo[]) => (this.devices = list)));
      if (stopped) void api.unwatchDevices(id);
      else watchId = id;
    })();
    return () => {
      stopped = true;
      if (watchId !== undefined) void api.unwatchDevices(watchId);
    };
  }

  async connect(): Promise<void> {
    this.connecting = true;
    this.message = undefined;
    try {
      const outcome = await requestCoralPermission();
      if (outcome === 'unsupported') {
        this.message = {
          kind: 'error',
          text: 'This browser has no WebUSB. Models still run on the CPU (WebAssembly).',
        };
      } else if (outcome === 'dismissed') {
        this.message = {
          kind: 'info',
          text: 'No Coral was chosen. If the list was empty, see “No device in the list” below.',
        };
      }
      this.devices = await accelerator().refreshDevices();
    } catch (error) {
      this.message = { kind: 'error', text: errorMessage(error) };
    } finally {
      this.connecting = false;
    }
  }
}
