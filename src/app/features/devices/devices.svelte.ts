/** The Devices page: the worker's list of accelerators, live, and the permission flow. */
import { proxy } from 'comlink';
import type { DeviceInfo, FirmwareProgress } from '../../../worker/accelerator-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { watchDevices, type DeviceWatch } from '../../shared/device-watch.ts';
import { requestCoralPermission } from './usb-permission.ts';
import { downloadFailure } from '../../shared/download-failure.ts';
import { errorMessage } from '../../shared/errors.ts';

export interface FirmwareStep {
  phase: FirmwareProgress['phase'] | 'done';
  bytesDone: number;
  bytesTotal: number;
  error?: string;
  /** The flash worked but the re-enumerated Coral needs its own permission (a second prompt). */
  askAgain?: { message: string; filters: USBDeviceFilter[] };
}

export class DevicesState {
  /** Firmware installs in progress or just finished, by device id. */
  firmware = $state<Record<string, FirmwareStep>>({});
  devices = $state<DeviceInfo[]>([]);
  message = $state<{ kind: 'info' | 'error'; text: string } | undefined>(undefined);
  supported = $state('usb' in navigator);
  connecting = $state(false);
  needsFirmware = $derived(this.devices.some((d) => d.state === 'needs-firmware'));

  #watch: DeviceWatch | undefined;

  /** Loads the list and follows hot plug until the returned cleanup runs. */
  start(): () => void {
    const watch = watchDevices((list) => (this.devices = list), {
      onError: (error) => (this.message = { kind: 'error', text: errorMessage(error) }),
    });
    this.#watch = watch;
    return () => {
      watch.stop();
      if (this.#watch === watch) this.#watch = undefined;
    };
  }

  /** Re-reads the bus through the watch, so that a list pushed meanwhile is not overwritten. */
  async #refresh(): Promise<void> {
    if (this.#watch) await this.#watch.refresh();
    else this.devices = await accelerator().refreshDevices();
  }

  /**
   * Downloads the pinned firmware (or uses the cached copy) and flashes it, with progress; with
   * `file`, flashes that file instead once the worker has checked it against the pinned sha256.
   */
  async installFirmware(id: string, file?: File): Promise<void> {
    this.firmware[id] = { phase: 'fetch', bytesDone: 0, bytesTotal: 0 };
    // Progress comes on the proxy's own port and may trail the result: drop it once the flash is over.
    let over = false;
    const onProgress = proxy((p: FirmwareProgress) => {
      if (!over) this.firmware[id] = { phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal };
    });
    try {
      const baseUrl = localStorage.getItem('reef.modelBaseUrl');
      const outcome = await accelerator()
        .flashFirmware(
          id,
          file ? { bytes: new Uint8Array(await file.arrayBuffer()) } : 'download',
          onProgress,
          baseUrl ? { baseUrl } : {},
        )
        .finally(() => (over = true));
      const last = this.firmware[id] ?? { phase: 'done', bytesDone: 0, bytesTotal: 0 };
      this.firmware[id] =
        outcome.status === 'ready'
          ? { ...last, phase: 'done' }
          : { ...last, phase: 'done', askAgain: { message: outcome.message, filters: outcome.filters } };
    } catch (error) {
      // A failed download says what to do next (the card offers "Use a firmware file…" beside it),
      // naming the host, never the long URL.
      const from = localStorage.getItem('reef.modelBaseUrl') ?? '';
      this.firmware[id] = {
        ...(this.firmware[id] ?? { phase: 'fetch', bytesDone: 0, bytesTotal: 0 }),
        error: file ? errorMessage(error) : downloadFailure(error, 'The firmware', from),
      };
    }
    await this.#refresh();
  }

  /** The second permission prompt, from a click, for the Coral that came back with firmware. */
  async allowAgain(id: string): Promise<void> {
    const ask = this.firmware[id]?.askAgain;
    if (!ask) return;
    try {
      await requestCoralPermission(ask.filters);
      delete this.firmware[id];
      await this.#refresh();
    } catch (error) {
      this.message = { kind: 'error', text: errorMessage(error) };
    }
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
      await this.#refresh();
    } catch (error) {
      this.message = { kind: 'error', text: errorMessage(error) };
    } finally {
      this.connecting = false;
    }
  }
}
