/**
 * The start page's picture of this computer: is a Coral already granted, which models are ready to
 * run here, and is there a network. Each answer shortens one of the three ways to a first result.
 */
import type { DeviceInfo } from '../../../worker/accelerator-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { watchDevices } from '../../shared/device-watch.ts';
import { choicesFrom, type ModelChoice } from '../../shared/model-choices.svelte.ts';

export class StartState {
  devices = $state.raw<DeviceInfo[]>([]);
  models = $state.raw<ModelChoice[]>([]);
  online = $state(navigator.onLine);
  usb = 'usb' in navigator;
  loaded = $state(false);

  /**
   * Reads what is here and follows the Corals (a stick plugged in or out while the page is open
   * changes the first way); returns the cleanup for the listeners and the device watch.
   */
  start(): () => void {
    const update = (): void => {
      this.online = navigator.onLine;
    };
    addEventListener('online', update);
    addEventListener('offline', update);
    void this.#load();
    // Only devices granted before: listing them never opens the browser's USB prompt.
    const watch = this.usb
      ? watchDevices((list) => (this.devices = list), {
          onError: () => {
            // The start page only shortens the way; the Devices page says what went wrong.
          },
        })
      : undefined;
    return () => {
      removeEventListener('online', update);
      removeEventListener('offline', update);
      watch?.stop();
    };
  }

  async #load(): Promise<void> {
    try {
      const api = accelerator();
      const [entries, files] = await Promise.all([api.catalog(), api.localFiles()]);
      this.models = choicesFrom(entries, files);
    } catch {
      // The start page only shortens the way; the pages it links to say what went wrong.
    } finally {
      this.loaded = true;
    }
  }
}
