/**
 * One way for a page to follow the worker's list of Corals. It subscribes before the first listing
 * (a plug between the two is never missed), drops a listing that a pushed list overtook (the push
 * is newer), and stops on `stop()`, even when that comes before the subscription was set up.
 */
import { proxy } from 'comlink';
import type { DeviceInfo } from '../../worker/accelerator-api.ts';
import { accelerator } from './accelerator.ts';

/** The worker calls a watch needs (the accelerator worker's comlink remote fits). */
export interface DeviceSource {
  refreshDevices(): Promise<DeviceInfo[]>;
  watchDevices(onChange: (devices: DeviceInfo[]) => void): Promise<number> | number;
  unwatchDevices(id: number): Promise<void> | void;
}

export interface DeviceWatch {
  /** Re-reads the bus (after a permission prompt or a flash); a list pushed meanwhile wins. */
  refresh(): Promise<void>;
  /** Ends the subscription; `onChange` is not called again. */
  stop(): void;
}

export interface DeviceWatchOptions {
  /** Default: the page's accelerator worker. */
  source?: DeviceSource;
  /** The subscription or a listing failed (the worker went away); a later `refresh()` may work. */
  onError?: (error: unknown) => void;
}

export function watchDevices(onChange: (devices: DeviceInfo[]) => void, options: DeviceWatchOptions = {}): DeviceWatch {
  const source = options.source ?? accelerator();
  let stopped = false;
  let watchId: number | undefined;
  // Counts pushed lists: a listing answered after a push describes an older bus and is dropped.
  let pushes = 0;

  const fail = (error: unknown): void => {
    if (!stopped) options.onError?.(error);
  };
  const unwatch = (id: number): void => {
    try {
      Promise.resolve(source.unwatchDevices(id)).catch(() => undefined);
    } catch {
      // The remote of a restarted worker is released: its watch ended with it.
    }
  };
  const refresh = async (): Promise<void> => {
    const seen = pushes;
    try {
      const list = await source.refreshDevices();
      if (!stopped && pushes === seen) onChange(list);
    } catch (error) {
      fail(error);
    }
  };
  const pushed = proxy((list: DeviceInfo[]): void => {
    pushes += 1;
    if (!stopped) onChange(list);
  });

  void (async () => {
    try {
      const id = await source.watchDevices(pushed);
      if (stopped) return unwatch(id);
      watchId = id;
    } catch (error) {
      return fail(error);
    }
    await refresh();
  })();

  return {
    refresh,
    stop() {
      stopped = true;
      if (watchId !== undefined) unwatch(watchId);
      watchId = undefined;
    },
  };
}
