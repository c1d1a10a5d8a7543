/**
 * Page side of the virtual-coral TEST build (vite.config.ts imports it first in src/app/main.ts
 * when REEF_TEST_USB=virtual-coral). The page's `navigator.usb.requestDevice` would open
 * Chromium's real chooser, which cannot see the worker's emulated bus: this shim answers it from
 * that bus instead (first matching device, as a person picking the only Coral listed), so the
 * app's permission code runs unchanged. `window.__reefVirtualUsb` lets Playwright plug and unplug
 * the stick, dismiss the next chooser, switch whether a grant carries over to the re-enumerated
 * device, and read the bus state.
 */
import { proxy, transfer } from 'comlink';
import { accelerator } from '../../../src/app/shared/accelerator.ts';
import type { FirmwareProgress, FirmwareSource } from '../../../src/worker/accelerator-api.ts';
import {
  VIRTUAL_USB_CHANNEL,
  type PermissionMode,
  type VirtualUsbReply,
  type VirtualUsbRequest,
} from './virtual-usb-bus.ts';

type Request = VirtualUsbRequest extends infer R ? (R extends VirtualUsbRequest ? Omit<R, 'call'> : never) : never;

const channel = new BroadcastChannel(VIRTUAL_USB_CHANNEL);
const waiting = new Map<string, (reply: VirtualUsbReply) => void>();
channel.onmessage = (event: MessageEvent<VirtualUsbReply>) => waiting.get(event.data.call)?.(event.data);

/** Sends until the worker answers (it starts with the app's first call to it). */
function call(request: Request): Promise<VirtualUsbReply> {
  const id = crypto.randomUUID();
  return new Promise((resolve, reject) => {
    const message = { ...request, call: id } as VirtualUsbRequest;
    const repeat = setInterval(() => channel.postMessage(message), 250);
    const timeout = setTimeout(() => {
      clearInterval(repeat);
      waiting.delete(id);
      reject(new Error(`virtual USB: no answer to ${request.op} from the worker`));
    }, 15_000);
    waiting.set(id, (reply) => {
      clearInterval(repeat);
      clearTimeout(timeout);
      waiting.delete(id);
      resolve(reply);
    });
    channel.postMessage(message);
  });
}

async function state(request: Request): Promise<unknown> {
  const reply = await call(request);
  if (!reply.ok) throw new Error(reply.message);
  return 'state' in reply ? reply.state : undefined;
}

const control = {
  /** requestDevice calls so far (each one a permission prompt a person would see). */
  prompts: 0,
  /** The next chooser is closed without a choice. */
  dismissNext: false,
  unplug: (coral = 0) => state({ op: 'unplug', coral }),
  replug: (coral = 0) => state({ op: 'replug', coral }),
  setPermissionMode: (mode: PermissionMode) => state({ op: 'mode', mode }),
  /** Plugs in another virtual Coral (DFU); `high` puts it on a USB 2 link. */
  addCoral: (speed: 'super' | 'high' = 'super') => state({ op: 'add', speed }),
  /** DFU download of `block` fails with errWRITE (stays armed across replugs; -1 disarms). */
  failDfuAtBlock: (coral: number, block: number) => state({ op: 'fault', coral, fault: 'dfu-fail-at-block', n: block }),
  unplugAtTransfer: (coral: number, k: number) => state({ op: 'fault', coral, fault: 'unplug-at-transfer', n: k }),
  /** Pulled out while the k-th inference request from now is under way (1 = the next). */
  unplugAtRequest: (coral: number, k: number) => state({ op: 'fault', coral, fault: 'unplug-at-request', n: k }),
  state: () => state({ op: 'state' }),
  /**
   * The worker API as the app's own handle on it, for steps the app has no UI for yet (firmware)
   * and for checking results exactly; errors come back as plain data (code, reason, message).
   */
  api: {
    refreshDevices: () => accelerator().refreshDevices(),
    devices: () => accelerator().devices(),
    async flash(deviceId: string, source: 'download' | { url: string }, baseUrl: string, reconnectTimeoutMs?: number) {
      const progress: FirmwareProgress[] = [];
      const firmware: FirmwareSource =
        source === 'download' ? 'download' : { bytes: new Uint8Array(await (await fetch(source.url)).arrayBuffer()) };
      return settle(async () => ({
        outcome: await accelerator().flashFirmware(
          deviceId,
          firmware,
          proxy((p: FirmwareProgress) => void progress.push(p)),
          { baseUrl, ...(reconnectTimeoutMs ? { reconnectTimeoutMs } : {}) },
        ),
        progress,
      }));
    },
    download: (entry: string, baseUrl: string) => settle(() => accelerator().downloadCatalogEntry(entry, baseUrl)),
    load: (sha256: string, engine: string, cpuTwin?: string) =>
      settle(() =>
        accelerator().loadModel({ sha256 }, { engine, ...(cpuTwin ? { cpuTwin: { sha256: cpuTwin } } : {}) }),
      ),
    async classify(id: string, imageUrl: string) {
      const bitmap = await createImageBitmap(await (await fetch(imageUrl)).blob());
      return settle(async () => accelerator().runTask(id, transfer(bitmap, [bitmap]), 'classify', { topK: 3 }));
    },
    fallBackToWasm: (id: string, why: string) => settle(() => accelerator().fallBackToWasm(id, why)),
    unload: (id: string) => accelerator().unloadModel(id),
    setUsbTrace: (enabled: boolean) => accelerator().setUsbTrace(enabled),
    takeUsbTrace: () => accelerator().takeUsbTrace(),
  },
};

/** Resolves with `{ ok, value }` or `{ ok: false, error }`: ReefError fields survive page.evaluate. */
async function settle<T>(
  run: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: { code?: string; reason?: string; message: string } }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    const e = error as { code?: string; reason?: string; message?: string };
    return {
      ok: false,
      error: {
        ...(e.code ? { code: e.code } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
        message: String(e.message ?? error),
      },
    };
  }
}

async function requestDevice(options: USBDeviceRequestOptions): Promise<USBDevice> {
  control.prompts++;
  if (control.dismissNext) {
    control.dismissNext = false;
    throw new DOMException('No device selected.', 'NotFoundError');
  }
  const reply = await call({ op: 'requestDevice', filters: options.filters });
  if (!reply.ok) throw new DOMException(reply.message, reply.name);
  // The page only awaits the grant; the worker finds the device itself.
  return ('device' in reply ? reply.device : undefined) as unknown as USBDevice;
}

if ('usb' in navigator && navigator.usb) {
  Object.defineProperty(navigator.usb, 'requestDevice', { value: requestDevice, configurable: true });
} else {
  Object.defineProperty(navigator, 'usb', { value: { requestDevice }, configurable: true });
}
Object.defineProperty(window, '__reefVirtualUsb', { value: control, configurable: true });
