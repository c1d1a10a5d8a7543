/**
 * The worker's view of the accelerators: a device pool (manager + real driver + placement) on this
 * worker's `navigator.usb` (injected in test builds), turned into plain data for the page. Engines
 * in the worker place Edge TPU ops through `pool.opRunner({ device })`.
 */
import { DevicePool, type DevicePoolOptions, type PoolDeviceInfo } from '../lib/edgetpu/devices/device-pool.ts';
import type { UsbLike } from '../lib/edgetpu/devices/manager.ts';
import type { Personality, UsbSpeed } from '../lib/edgetpu/usb/identity.ts';

export interface DeviceInfo {
  id: string;
  personality: Personality;
  speed: UsbSpeed;
  /** What a person needs to know first. */
  state: 'needs-firmware' | 'ready' | 'busy' | 'error';
  error?: string;
  /** Models placed on this TPU. */
  models: string[];
  /** USB 2 (or slower) link: why it is slow and what to do. */
  speedWarning?: string;
  /** Clock preset the driver opened it with (`high` = std, `max`); null while not open. */
  clock: string | null;
  /** Models whose parameters the chip holds now (co-compiled models share the cache). */
  residentModels: string[];
  inferences: number;
  parameterUploads: number;
  /** Parameter swaps: re-uploads because models that are not co-compiled share this TPU. */
  swaps: number;
}

export function toDeviceInfo(device: PoolDeviceInfo): DeviceInfo {
  const info: DeviceInfo = {
    id: device.id,
    personality: device.personality,
    speed: device.speed,
    state: device.state === 'idle' ? 'ready' : device.state,
    models: device.models,
    clock: device.clock,
    residentModels: device.residentModels,
    inferences: device.inferences,
    parameterUploads: device.parameterUploads,
    swaps: device.swaps,
  };
  if (device.error) info.error = device.error;
  if (device.speedWarning) info.speedWarning = device.speedWarning;
  return info;
}

/** Busy/idle flips happen per inference: the page hears about them at most this often. */
const CHANGE_THROTTLE_MS = 250;

export class WorkerDevices {
  readonly pool: DevicePool | undefined;

  /** `options`: driver options for every TPU (e.g. the worker API's trace switch). */
  constructor(usb: UsbLike | undefined, options: DevicePoolOptions = {}) {
    this.pool = usb ? new DevicePool(usb, options) : undefined;
  }

  async refresh(): Promise<DeviceInfo[]> {
    return (await this.pool?.refresh())?.map(toDeviceInfo) ?? [];
  }

  list(): DeviceInfo[] {
    return this.pool?.devices().map(toDeviceInfo) ?? [];
  }

  /**
   * Calls `onChange` with the whole list after every plug, unplug and placement at once, and after
   * busy/idle changes at most every 250 ms; returns the unsubscribe.
   */
  watch(onChange: (devices: DeviceInfo[]) => void): () => void {
    const pool = this.pool;
    if (!pool) return () => undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = pool.subscribe((event) => {
      if (event.type !== 'changed') {
        clearTimeout(timer);
        timer = undefined;
        onChange(this.list());
      } else {
        timer ??= setTimeout(() => {
          timer = undefined;
          onChange(this.list());
        }, CHANGE_THROTTLE_MS);
      }
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }
}
