/**
 * The page's one device watch, against the worker's real device list (WorkerDevices over a device
 * pool) on an emulated bus with a virtual Coral: plugs, unplugs, a listing overtaken by a push, and
 * a stop that comes before the subscription was set up.
 */
import { describe, expect, it } from 'vitest';
import { watchDevices, type DeviceSource } from '../../../src/app/shared/device-watch.ts';
import type { DeviceInfo } from '../../../src/worker/accelerator-api.ts';
import { WorkerDevices } from '../../../src/worker/devices.ts';
import { EmulatedUsb } from '../../emulator/usb-host.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';

/** The accelerator worker's watch bookkeeping, in process (no comlink). */
function workerSource(devices: WorkerDevices) {
  const watches = new Map<number, () => void>();
  let next = 0;
  const source = {
    refreshDevices: () => devices.refresh(),
    watchDevices(onChange: (list: DeviceInfo[]) => void): number {
      watches.set(++next, devices.watch(onChange));
      return next;
    },
    unwatchDevices(id: number): void {
      watches.get(id)?.();
      watches.delete(id);
    },
  } satisfies DeviceSource;
  return { source, watching: () => watches.size, opened: () => next };
}

function bus(plugged: boolean) {
  const usb = new EmulatedUsb();
  const coral = new VirtualCoral({ usb, plugged });
  return { coral, devices: new WorkerDevices(usb) };
}

const ids = (list: DeviceInfo[] | undefined) => list?.map((d) => `${d.id} ${d.state}`);

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('watchDevices (page side)', () => {
  it('shows the first listing, then every plug and unplug, and nothing after stop', async () => {
    const { coral, devices } = bus(true);
    const { source, watching } = workerSource(devices);
    const seen: DeviceInfo[][] = [];
    const watch = watchDevices((list) => seen.push(list), { source });
    await until(() => seen.length === 1);
    expect(ids(seen[0])).toEqual(['usb:0 needs-firmware']);
    expect(watching()).toBe(1);

    coral.unplug();
    await until(() => seen.at(-1)?.length === 0);
    coral.replug();
    await until(() => seen.at(-1)?.length === 1);
    expect(ids(seen.at(-1))).toEqual([expect.stringMatching(/^usb:\d+ needs-firmware$/)]);

    watch.stop();
    expect(watching()).toBe(0);
    const count = seen.length;
    coral.unplug();
    await watch.refresh();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(count);
  });

  it('drops a listing that a pushed list overtook', async () => {
    const { coral, devices } = bus(false);
    const { source } = workerSource(devices);
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((r) => (answer = r));
    let listed = false;
    // The listing is taken on an empty bus but its answer arrives after the Coral was plugged in.
    const slow: DeviceSource = {
      ...source,
      async refreshDevices() {
        const list = await devices.refresh();
        listed = true;
        await answered;
        return list;
      },
    };
    const seen: DeviceInfo[][] = [];
    const watch = watchDevices((list) => seen.push(list), { source: slow });
    await until(() => listed);
    coral.replug();
    await until(() => seen.length === 1);
    answer();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.map(ids)).toEqual([['usb:0 needs-firmware']]);
    watch.stop();
  });

  it('ends a subscription that settles after stop, and never reports to a stopped page', async () => {
    const { devices } = bus(true);
    const { source, watching, opened } = workerSource(devices);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const late: DeviceSource = {
      ...source,
      async watchDevices(onChange) {
        await gate;
        return source.watchDevices(onChange);
      },
    };
    const seen: DeviceInfo[][] = [];
    const watch = watchDevices((list) => seen.push(list), { source: late });
    watch.stop();
    release();
    await until(() => opened() === 1 && watching() === 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    expect(watching()).toBe(0);
  });

  it('reports a failed listing to onError and shows no list', async () => {
    const { devices } = bus(true);
    const { source } = workerSource(devices);
    const gone = new Error('The accelerator worker stopped responding.');
    const errors: unknown[] = [];
    const seen: DeviceInfo[][] = [];
    watchDevices((list) => seen.push(list), {
      source: { ...source, refreshDevices: () => Promise.reject(gone) },
      onError: (error) => errors.push(error),
    });
    await until(() => errors.length === 1);
    expect(errors[0]).toBe(gone);
    expect(seen).toEqual([]);
  });
});
