/**
 * Several virtual Corals on one emulated USB, as several sticks on one host: each is its own
 * device (own parameter cache, own latency), all share `usb.getDevices()` and its hot-plug events.
 * Node-only (reads fixtures, may start LiteRT for CPU twins). A test double: no figure measured on
 * it is a hardware result.
 */
import { WasmEngine } from '../../src/lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import type { ComputeFn } from './app-function.ts';
import type { EmulatedModel } from './executable-model.ts';
import { fixtureProgram } from './node-fixtures.ts';
import { EmulatedUsb } from './usb-host.ts';
import { LatencyClock } from './latency-clock.ts';
import { VirtualCoral, type LatencyModel } from './virtual-coral.ts';
import type { LinkSpeed } from './descriptors.ts';

export interface CoralFarmOptions {
  latency?: LatencyModel;
  speed?: LinkSpeed;
  /** CPU twins per compiled fixture: the emulator computes those models' outputs with LiteRT. */
  twins?: Partial<Record<FixtureName, FixtureName>>;
  /** Other compute functions per compiled fixture (default: the emulator's synthetic outputs). */
  compute?: Partial<Record<FixtureName, (program: EmulatedModel) => ComputeFn>>;
  /**
   * One USB bus shared by all corals, moving this many bytes per millisecond (USB 3 after protocol
   * overhead: ~350_000). Unset: no bus cost. Kept apart from each coral's own latency model (its
   * own link and chip timelines): this one is the contention between sticks.
   */
  sharedBusBytesPerMs?: number;
}

export interface CoralFarm {
  usb: EmulatedUsb;
  corals: VirtualCoral[];
  /** Fixture bytes of every registered model. */
  bytes: Map<FixtureName, Uint8Array>;
  /** Protocol violations seen by any coral. */
  violations(): string[];
}

/** `count` corals already running firmware, every one knowing every given fixture model. */
export async function coralFarm(
  count: number,
  models: readonly FixtureName[],
  options: CoralFarmOptions = {},
): Promise<CoralFarm> {
  const usb = new EmulatedUsb();
  const bytes = new Map<FixtureName, Uint8Array>();
  const programs: { name: FixtureName; program: EmulatedModel; compute: ComputeFn | undefined }[] = [];
  for (const name of models) {
    const entry = await fixtureProgram(name);
    bytes.set(name, entry.bytes);
    const twin = options.twins?.[name];
    const custom = options.compute?.[name];
    let compute: ComputeFn | undefined;
    if (twin) compute = await litertTwin(twin, entry.program.main.outputLayers[0]!.name);
    else if (custom) compute = custom(entry.program);
    programs.push({ name, program: entry.program, compute });
  }
  const corals: VirtualCoral[] = [];
  for (let i = 0; i < count; i++) {
    const coral = new VirtualCoral({ usb, firmwareLoaded: true, latency: options.latency, speed: options.speed });
    for (const p of programs) coral.registerModel(p.name, p.program, p.compute);
    corals.push(coral);
  }
  if (options.sharedBusBytesPerMs) {
    const bus = new SharedBus(options.sharedBusBytesPerMs);
    const wrap = (device: USBDevice) => bus.attach(device);
    for (const device of await usb.getDevices()) wrap(device);
    usb.addEventListener('connect', (event: USBConnectionEvent) => wrap(event.device));
  }
  return { usb, corals, bytes, violations: () => corals.flatMap((c) => c.violations) };
}

/**
 * A bus every attached device's bulk transfers take turns on: each transfer books
 * `bytes / bytesPerMs` of bus time on one shared timeline (see LatencyClock: sub-millisecond
 * bookings add up instead of each costing a whole timer tick).
 */
export class SharedBus {
  readonly #bytesPerMs: number;
  readonly #clock = new LatencyClock();
  bytes = 0;

  constructor(bytesPerMs: number) {
    this.#bytesPerMs = bytesPerMs;
  }

  take(bytes: number): Promise<void> {
    this.bytes += bytes;
    return this.#clock.take(bytes / this.#bytesPerMs);
  }

  /** Routes the device's bulk transfers through the bus (instance methods wrap the class's). */
  attach(device: USBDevice): void {
    const transferOut = device.transferOut.bind(device);
    const transferIn = device.transferIn.bind(device);
    device.transferOut = async (endpoint, data) => {
      await this.take(data.byteLength);
      return transferOut(endpoint, data);
    };
    device.transferIn = async (endpoint, length) => {
      const result = await transferIn(endpoint, length);
      await this.take(result.data?.byteLength ?? 0);
      return result;
    };
  }
}

/**
 * The CPU twin of a single-input, single-output compiled model, run with LiteRT.js: what the
 * emulated chip answers for that model (its output layer, named as in the compiled model, gets the
 * twin's output bytes).
 */
export async function litertTwin(cpuModel: FixtureName, outputLayer: string): Promise<ComputeFn> {
  const engine = new WasmEngine(nodeLiteRtLoader);
  const model = await engine.load(await readFixture(cpuModel));
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`litertTwin: ${cpuModel} must have one input and one output`);
  }
  return async (inputs) => {
    const [input] = inputs.values();
    const result = await model.run([input!]);
    const out = result.outputs[0]!.data;
    return new Map([[outputLayer, new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice()]]);
  };
}
