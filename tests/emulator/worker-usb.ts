/**
 * Drop-in for `src/worker/usb-source.ts` in an emulator test build (alias that module to this file
 * for the `emulator` mode in vite.config.ts; production builds never contain it). The worker then
 * sees an emulated bus with one virtual Coral in its DFU personality, so the page can walk the real
 * flow: permission → firmware → re-enumeration → inference. The emulator registers the compiled
 * catalog models, fetched from the e2e fixture mirror (`/__mirror/…`); outputs are synthetic (no
 * CPU twin in the browser build). Browser-safe: no Node imports.
 */
import type { UsbLike } from '../../src/lib/edgetpu/devices/manager.ts';
import { CATALOG, fileUrl } from '../../src/lib/zoo/index.ts';
import { readEmulatedModel } from './executable-model.ts';
import { EmulatedUsb } from './usb-host.ts';
import { VirtualCoral, type VirtualCoralOptions } from './virtual-coral.ts';

export interface BrowserCoralOptions extends Omit<VirtualCoralOptions, 'usb'> {
  /** Mirror base URL; default `<origin>/__mirror`. */
  mirror?: string;
  /** Virtual Corals on the bus. Default 1. */
  count?: number;
}

let bus: { usb: EmulatedUsb; corals: VirtualCoral[] } | undefined;

/** Fetches every compiled catalog model from the mirror and registers it on each coral. */
async function registerCatalog(corals: VirtualCoral[], mirror: string): Promise<void> {
  const files = CATALOG.flatMap((entry) => entry.files).filter((f) => f.name.endsWith('_edgetpu.tflite'));
  const unique = [...new Map(files.map((f) => [f.sha256, f])).values()];
  await Promise.all(
    unique.map(async (file) => {
      const response = await fetch(fileUrl(file, mirror));
      if (!response.ok) return; // not mirrored: models the test does not use
      const model = readEmulatedModel(new Uint8Array(await response.arrayBuffer()));
      for (const coral of corals) coral.registerModel(file.name, model);
    }),
  );
}

export function browserCoral(options: BrowserCoralOptions = {}): { usb: EmulatedUsb; corals: VirtualCoral[] } {
  if (bus) return bus;
  const usb = new EmulatedUsb();
  const { mirror, count, ...coralOptions } = options;
  const corals = Array.from(
    { length: count ?? 1 },
    () => new VirtualCoral({ reenumerateMs: 50, ...coralOptions, usb }),
  );
  const origin = typeof location === 'undefined' ? '' : location.origin;
  const ready = registerCatalog(corals, mirror ?? `${origin}/__mirror`);
  for (const coral of corals) coral.whenReady(ready);
  bus = { usb, corals };
  return bus;
}

/** Same signature as src/worker/usb-source.ts. */
export function workerUsb(): UsbLike | undefined {
  return browserCoral().usb;
}
