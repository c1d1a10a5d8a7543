/**
 * The worker's USB in the virtual-coral TEST build (vite.config.ts aliases src/worker/usb-source.ts
 * to this file when REEF_TEST_USB=virtual-coral; normal builds never contain it). The worker sees
 * an emulated bus with one virtual Coral in its DFU personality behind WebUSB's permission model,
 * so the page walks the real flow: permission → firmware → re-enumeration → inference. The compiled
 * catalog models are fetched from the e2e fixture mirror and registered; their outputs come from
 * the CPU twins run on this worker's LiteRT.js (WASM, files from our own origin). The page drives
 * the bus (chooser, plug/unplug, permission mode) over a BroadcastChannel: see virtual-usb-page.ts.
 * A test double: nothing measured on it is a hardware result. Browser-safe: no Node imports.
 */
import type { UsbLike } from '../../../src/lib/edgetpu/devices/manager.ts';
import { LiteRtRuntime, workerLiteRtLoader } from '../../../src/lib/runtime/index.ts';
import { CATALOG, fileUrl, type ZooFile } from '../../../src/lib/zoo/index.ts';
import type { ComputeFn } from '../../emulator/app-function.ts';
import { readEmulatedModel } from '../../emulator/executable-model.ts';
import { EmulatedUsb } from '../../emulator/usb-host.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';
import {
  PermissionedUsb,
  VIRTUAL_USB_CHANNEL,
  type PermissionMode,
  type VirtualUsbReply,
  type VirtualUsbRequest,
} from './virtual-usb-bus.ts';
import { twinComputeOn } from '../../emulator/twin-compute.ts';
import { goldenModels } from './virtual-golden.ts';

interface Bus {
  inner: EmulatedUsb;
  usb: PermissionedUsb;
  corals: VirtualCoral[];
  models: Promise<Registration[]>;
}

let bus: Bus | undefined;

/** The CPU file of the same entry whose name is the longest prefix of the compiled one. */
function twinOf(compiled: ZooFile, files: readonly ZooFile[]): ZooFile | undefined {
  return files
    .filter((f) => f.role === 'cpu' && compiled.name.startsWith(f.name.replace(/\.tflite$/, '')))
    .sort((a, b) => b.name.length - a.name.length)[0];
}

async function fetchBytes(url: string): Promise<Uint8Array | undefined> {
  const response = await fetch(url);
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
}

type Registration = Parameters<VirtualCoral['registerModel']>;

/**
 * Fetches every mirrored compiled catalog model (twins are fetched and compiled on first use) and
 * returns what to register on each coral.
 */
async function catalogModels(mirror: string): Promise<Registration[]> {
  const registrations: Registration[] = [];
  let runtime: LiteRtRuntime | undefined;
  const seen = new Set<string>();
  const jobs = CATALOG.flatMap((entry) =>
    entry.files
      .filter((f) => f.role === 'edgetpu' || f.role === 'segment')
      .filter((f) => !seen.has(f.sha256) && seen.add(f.sha256))
      .map(async (file) => {
        const bytes = await fetchBytes(fileUrl(file, mirror));
        if (!bytes) return; // not mirrored: a model the tests do not use
        const twin = twinOf(file, entry.files);
        let compute: ComputeFn | undefined;
        if (twin) {
          let built: Promise<ComputeFn> | undefined;
          compute = async (values) => {
            built ??= (async () => {
              const twinBytes = await fetchBytes(fileUrl(twin, mirror));
              if (!twinBytes) throw new Error(`virtual Coral: ${twin.name} is not in the mirror`);
              runtime ??= new LiteRtRuntime(workerLiteRtLoader({ baseUrl: `${location.origin}/litert/` }));
              return twinComputeOn(runtime, bytes, twinBytes);
            })();
            return (await built)(values);
          };
        }
        // The emulator reads what the model expects from the bytes itself, not from the driver.
        registrations.push([file.name, readEmulatedModel(bytes), compute]);
      }),
  );
  await Promise.all(jobs);
  registrations.push(...(await goldenModels(mirror)));
  return registrations;
}

function addCoral(state: Bus, speed: 'super' | 'high', firmwareLoaded = false): VirtualCoral {
  const coral = new VirtualCoral({ usb: state.inner, reenumerateMs: 50, speed, plugged: false, firmwareLoaded });
  state.corals.push(coral);
  const registered = state.models.then((models) => {
    for (const model of models) coral.registerModel(...model);
  });
  coral.whenReady(registered);
  coral.replug();
  return coral;
}

function serve(state: Bus): void {
  const channel = new BroadcastChannel(VIRTUAL_USB_CHANNEL);
  // The page repeats a request until it hears back (the worker may still be starting): answer once.
  const answered = new Map<string, VirtualUsbReply>();
  const reply = (message: VirtualUsbReply) => {
    answered.set(message.call, message);
    channel.postMessage(message);
  };
  channel.onmessage = (event: MessageEvent<VirtualUsbRequest>) => {
    const request = event.data;
    const previous = answered.get(request.call);
    if (previous) return channel.postMessage(previous);
    if (answered.has(`${request.call}:pending`)) return;
    answered.set(`${request.call}:pending`, { call: request.call, ok: true });
    void handle(state, request).then(reply, (error: unknown) =>
      reply({
        call: request.call,
        ok: false,
        name: error instanceof DOMException ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  };
}

async function handle(state: Bus, request: VirtualUsbRequest): Promise<VirtualUsbReply> {
  const { usb, corals } = state;
  switch (request.op) {
    case 'requestDevice': {
      const device = await usb.requestDevice({ filters: request.filters });
      return {
        call: request.call,
        ok: true,
        device: {
          vendorId: device.vendorId,
          productId: device.productId,
          productName: device.productName ?? undefined,
        },
      };
    }
    case 'unplug':
    case 'replug': {
      const coral = corals[request.coral];
      if (!coral) throw new Error(`no virtual Coral ${request.coral}`);
      if (request.op === 'unplug') coral.unplug();
      else coral.replug();
      break;
    }
    case 'mode':
      usb.mode = request.mode;
      break;
    case 'add':
      addCoral(state, request.speed);
      break;
    case 'fault': {
      const coral = corals[request.coral];
      if (!coral) throw new Error(`no virtual Coral ${request.coral}`);
      if (request.fault === 'dfu-fail-at-block') coral.failDfuAtBlock(request.n);
      else if (request.fault === 'unplug-at-request') coral.unplugAtRequest(request.n);
      else coral.unplugAtTransfer(request.n);
      break;
    }
    case 'state':
      break;
  }
  remember(state);
  return {
    call: request.call,
    ok: true,
    state: {
      mode: usb.mode,
      corals: corals.map((c) => ({
        personality: c.personality,
        firmware: c.firmware,
        enumerations: c.enumerations,
        granted: c.device ? usb.isGranted(c.device) : false,
        violations: [...c.violations],
      })),
    },
  };
}

/**
 * What a reload must not forget: a real stick stays plugged in and keeps its firmware while the
 * page reloads (it is powered by the port, not the page), and Chrome keeps the origin's USB grants.
 * Kept in this origin's IndexedDB (a worker has no sessionStorage); a fresh browser context starts
 * with none, so every test still begins with one stick in its bootloader.
 */
interface BusMemory {
  mode: PermissionMode;
  grants: string[];
  corals: { speed: 'super' | 'high'; firmwareLoaded: boolean }[];
}

const MEMORY_DB = 'reef-virtual-coral-test-build';

function memoryStore(mode: IDBTransactionMode): Promise<IDBObjectStore> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(MEMORY_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('bus');
    open.onerror = () => reject(open.error ?? new Error('virtual Coral memory: cannot open IndexedDB'));
    open.onsuccess = () => resolve(open.result.transaction('bus', mode).objectStore('bus'));
  });
}

async function recall(): Promise<BusMemory | undefined> {
  const store = await memoryStore('readonly');
  return new Promise((resolve, reject) => {
    const get = store.get('bus');
    get.onsuccess = () => resolve(get.result as BusMemory | undefined);
    get.onerror = () => reject(get.error ?? new Error('virtual Coral memory: read failed'));
  });
}

function remember(state: Bus): void {
  const memory: BusMemory = {
    mode: state.usb.mode,
    grants: state.usb.grantKeys(),
    // An unplugged stick lost its firmware; it comes back (if at all) in its bootloader.
    corals: state.corals.map((c) => ({ speed: c.speed, firmwareLoaded: c.personality === 'app' })),
  };
  void memoryStore('readwrite')
    .then((store) => store.put(memory, 'bus'))
    .catch(() => undefined);
}

/**
 * The bus (made once per worker): one virtual Coral in DFU personality, nothing granted yet; or,
 * after a reload, the corals and grants the page had (sticks in app mode stay in app mode).
 */
export function virtualBus(): Bus {
  if (bus) return bus;
  const inner = new EmulatedUsb();
  const corals: VirtualCoral[] = [];
  const models = catalogModels(`${location.origin}/__mirror`);
  // A failed fetch shows up as a protocol violation on the coral (whenReady) and in `state`.
  models.catch(() => undefined);
  const state: Bus = { inner, usb: new PermissionedUsb(inner, corals), corals, models };
  bus = state;
  state.usb.restore(
    recall().catch(() => undefined),
    (memory) => {
      if (memory?.corals.length) for (const c of memory.corals) addCoral(state, c.speed, c.firmwareLoaded);
      else addCoral(state, 'super');
    },
  );
  // Every (re-)enumeration and grant changes what a reload must bring back.
  inner.addEventListener('connect', () => remember(state));
  inner.addEventListener('disconnect', () => remember(state));
  serve(state);
  return state;
}

/** Same signature as src/worker/usb-source.ts. */
export function workerUsb(): UsbLike | undefined {
  return virtualBus().usb;
}
