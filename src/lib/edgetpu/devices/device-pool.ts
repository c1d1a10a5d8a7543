/**
 * Several Edge TPUs behind one object: the device manager's `usb:N` ids, the real driver opened
 * once per device (lazily, on the first model placed there), placement (`usb`, `usb:N`, automatic),
 * and one serial queue per device so parameter swaps can be counted exactly.
 *
 *   const pool = new DevicePool(navigator.usb);
 *   await pool.refresh();
 *   const a = await pool.load(bytesA, { name: 'a' });            // its own free TPU
 *   const b = await pool.load(bytesB, { name: 'b', device: 'usb:0' }); // shares, swaps counted
 *   const [out] = await a.run([input]);
 *
 * Hot plug: when a TPU disappears, every run queued or in flight on it fails at once with
 * `UNAVAILABLE` / `device-gone`; its models become `orphaned` and `place()` moves them elsewhere.
 */
import { ReefError } from '../../errors.ts';
import {
  openEdgeTpu,
  type EdgeTpu,
  type EdgeTpuModel,
  type EdgeTpuTensor,
  type TensorSpec,
} from '../driver/edge-tpu.ts';
import type { EdgeTpuOptions } from '../driver/driver-options.ts';
import type { Personality, UsbSpeed } from '../usb/identity.ts';
import { DeviceManager, type ManagedDevice } from './manager.ts';
import { chooseDevice, type DeviceSlot, type PlacedModel, type PlacementDecision } from './placement.ts';
import { prepareTpuOp, type PreparedTpuOp } from './op-runner.ts';
import { programFromModel } from '../program/program-from-model.ts';
import type { TpuProgram } from '../program/tpu-program.ts';
import type { UsbDeviceLike, UsbHostLike } from '../usb/device.ts';

export type PoolDeviceState = 'needs-firmware' | 'idle' | 'busy' | 'error';

/** Plain data about one TPU, for the page and the CLI. */
export interface PoolDeviceInfo {
  id: string;
  personality: Personality;
  speed: UsbSpeed;
  /** Set on USB 2 (and slower) links: the same model runs several times slower there. */
  speedWarning?: string;
  state: PoolDeviceState;
  error?: string;
  /** Clock preset the driver opened it with; null while it is not open. */
  clock: string | null;
  /** Names of the models placed on it. */
  models: string[];
  /** Parameter-caching token the chip holds now (null: none). */
  residentToken: string | null;
  /** Models whose parameters are resident now (co-compiled models can share). */
  residentModels: string[];
  inferences: number;
  parameterUploads: number;
  /** Uploads of parameters that had been on the chip before and were evicted by another model. */
  swaps: number;
}

export interface PoolLoadOptions {
  /** `usb` (any), `usb:N`, or undefined (automatic: a TPU of its own). */
  device?: string;
  /** Shown in listings and errors; default `model N`. */
  name?: string;
}

export interface DevicePoolOptions {
  /** Driver options for every TPU (clock, timeouts, trace); `label` is set to the device id. */
  driver?: EdgeTpuOptions;
  /** How a device is opened; the real driver by default (tests may wrap it). */
  open?: (device: UsbDeviceLike, options: EdgeTpuOptions) => Promise<EdgeTpu>;
}

export type PoolEvent =
  | { type: 'added' | 'removed'; device: string }
  | { type: 'changed'; device: string }
  | { type: 'placed' | 'orphaned'; device: string; model: string };

const SLOW_LINK =
  'USB 2 link: inference is 4–12× slower than on USB 3. Plug the Coral into a USB 3 port with a USB 3 cable.';

interface PendingRun {
  reject: (error: unknown) => void;
  settled: boolean;
}

/** One TPU: its driver, the models placed on it and its run queue. */
class DeviceSlotState {
  managed: ManagedDevice;
  /** Its stick went away during the driver's reset: the driver is finding it again (a new USBDevice). */
  following = false;
  tpu: EdgeTpu | undefined;
  opening: Promise<EdgeTpu> | undefined;
  error: ReefError | undefined;
  gone = false;
  readonly models = new Set<PooledModel>();
  readonly pending = new Set<PendingRun>();
  queue: Promise<void> = Promise.resolve();
  active = 0;
  swaps = 0;
  /** Model keys whose parameters were uploaded to this chip at least once (a re-upload is a swap). */
  readonly uploadedBefore = new Set<string>();
  /** Model keys whose parameters the chip holds now, by our count. */
  readonly resident = new Set<string>();

  constructor(managed: ManagedDevice) {
    this.managed = managed;
  }

  get id(): string {
    return this.managed.id;
  }
}

function cachingTokenOf(program: TpuProgram): string | null {
  if (program.main.kind === 'stand-alone') return null;
  const token = program.parameterCaching?.token ?? program.main.token;
  return token && token !== '0' ? token : null;
}

function goneError(id: string, what: string): ReefError {
  return new ReefError(
    'UNAVAILABLE',
    `${id} was unplugged; ${what}. Plug it back in, or place the model on another TPU (model.place()).`,
    { reason: 'device-gone' },
  );
}

/** A model placed on one TPU of the pool. `run` goes through that TPU's serial queue. */
export class PooledModel {
  readonly key: string;
  readonly name: string;
  readonly program: TpuProgram;
  readonly cachingToken: string | null;
  readonly hasCpuOps: boolean;
  readonly #pool: DevicePool;
  #slot: DeviceSlotState | undefined;
  #driverModel: EdgeTpuModel | undefined;
  #state: 'placed' | 'orphaned' | 'disposed' = 'orphaned';
  /** Parameter swaps this model caused (its own re-uploads). */
  swaps = 0;
  runs = 0;
  /** The last placement decision (shares cache with / swaps with). */
  placement: PlacementDecision | undefined;

  constructor(pool: DevicePool, key: string, name: string, program: TpuProgram, hasCpuOps: boolean) {
    this.#pool = pool;
    this.key = key;
    this.name = name;
    this.program = program;
    this.cachingToken = cachingTokenOf(program);
    this.hasCpuOps = hasCpuOps;
  }

  get state(): 'placed' | 'orphaned' | 'disposed' {
    return this.#state;
  }

  /** The TPU it is placed on (the last one, when orphaned). */
  get deviceId(): string | undefined {
    return this.#slot?.id ?? this.#lastDevice;
  }
  #lastDevice: string | undefined;

  get inputs(): readonly TensorSpec[] {
    return this.#driverModel?.inputs ?? [];
  }
  get outputs(): readonly TensorSpec[] {
    return this.#driverModel?.outputs ?? [];
  }

  /** Stateful inputs (§4.9, LSTM state) → their `_variable_output` index; the driver model keeps them. */
  get variables(): ReadonlyMap<number, number> {
    return this.#driverModel?.variables ?? new Map();
  }

  /** Next run starts from zero state. */
  resetState(): void {
    this.#driverModel?.resetState();
  }

  /** @internal */
  attach(slot: DeviceSlotState, driverModel: EdgeTpuModel, decision: PlacementDecision): void {
    this.#slot = slot;
    this.#driverModel = driverModel;
    this.#state = 'placed';
    this.placement = decision;
    slot.models.add(this);
  }

  /** @internal the TPU went away */
  orphan(): void {
    if (this.#state !== 'placed') return;
    this.#lastDevice = this.#slot?.id;
    this.#slot?.models.delete(this);
    this.#slot = undefined;
    this.#driverModel?.dispose();
    this.#driverModel = undefined;
    this.#state = 'orphaned';
  }

  /** Runs one inference on its TPU (raw quantized inputs in layer order). */
  run(inputs: readonly ArrayBufferView[]): Promise<EdgeTpuTensor[]> {
    if (this.#state === 'disposed') {
      return Promise.reject(new ReefError('FAILED_PRECONDITION', `${this.name} was disposed`, { reason: 'disposed' }));
    }
    const slot = this.#slot;
    const driverModel = this.#driverModel;
    if (!slot || !driverModel) {
      return Promise.reject(goneError(this.deviceId ?? 'its TPU', `${this.name} has no TPU to run on`));
    }
    return this.#pool.enqueueRun(slot, this, driverModel, inputs);
  }

  /** Moves the model (after an unplug, or to rebalance) to another TPU; same options as `load`. */
  async place(options: Pick<PoolLoadOptions, 'device'> = {}): Promise<PlacementDecision> {
    if (this.#state === 'disposed') throw new ReefError('FAILED_PRECONDITION', `${this.name} was disposed`);
    this.orphan();
    return this.#pool.placeModel(this, options.device);
  }

  dispose(): void {
    this.orphan();
    this.#state = 'disposed';
  }
}

/** The structural twin of the runtime's `EdgeTpuOpRunner` (the runtime sits above this layer). */
export interface PoolOpRunner {
  readonly device: string;
  prepare(op: {
    customOptions: Uint8Array;
    inputs: readonly { dtype: string }[];
    outputs: readonly { dtype: string }[];
  }): Promise<PreparedTpuOp<PooledModel>>;
}

export class DevicePool {
  readonly manager: DeviceManager;
  readonly #usb: UsbHostLike;
  readonly #options: DevicePoolOptions;
  readonly #slots = new Map<string, DeviceSlotState>();
  readonly #listeners = new Set<(event: PoolEvent) => void>();
  readonly #unsubscribe: () => void;
  #models = 0;

  constructor(usb: UsbHostLike, options: DevicePoolOptions = {}) {
    this.#usb = usb;
    this.#options = options;
    this.manager = new DeviceManager(usb);
    this.#unsubscribe = this.manager.subscribe((event) => {
      if (event.type === 'added') this.#added(event.device);
      else this.#removed(event.device);
    });
  }

  /** Re-reads the granted devices and starts watching hot plug. */
  async refresh(): Promise<PoolDeviceInfo[]> {
    await this.manager.refresh();
    return this.devices();
  }

  devices(): PoolDeviceInfo[] {
    return this.manager
      .list()
      .map((managed) => this.#info(this.#slots.get(managed.id) ?? new DeviceSlotState(managed)));
  }

  device(id: string): PoolDeviceInfo | undefined {
    return this.devices().find((d) => d.id === id);
  }

  subscribe(listener: (event: PoolEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads a compiled model (bytes or decoded program) and places it (see `PoolLoadOptions`). */
  async load(model: Uint8Array | TpuProgram, options: PoolLoadOptions = {}): Promise<PooledModel> {
    let program: TpuProgram;
    let hasCpuOps = false;
    if (model instanceof Uint8Array) ({ program, hasCpuOps } = programFromModel(model));
    else program = model;
    const n = ++this.#models;
    const pooled = new PooledModel(this, `m${n}`, options.name ?? `model ${n}`, program, hasCpuOps);
    await this.placeModel(pooled, options.device);
    return pooled;
  }

  /**
   * A runner for the runtime's composite engine (`PartitionedEngine({ tpu })`): each Edge TPU op it
   * prepares is loaded into this pool with the given placement, so CPU ops around it run in WASM.
   */
  opRunner(options: PoolLoadOptions = {}): PoolOpRunner {
    return {
      device: options.device ?? 'usb',
      prepare: (op) => prepareTpuOp(op, (program) => this.load(program, options)),
    };
  }

  /** Closes every open TPU and stops watching hot plug. */
  async close(): Promise<void> {
    this.#unsubscribe();
    this.manager.dispose();
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    for (const slot of slots) {
      for (const model of [...slot.models]) model.orphan();
      for (const run of slot.pending) settle(run, new ReefError('CANCELLED', `${slot.id}: the device pool was closed`));
    }
    await Promise.allSettled(slots.map((slot) => slot.tpu?.close()));
    this.#listeners.clear();
  }

  /** @internal placements run one at a time, so two automatic loads never pick the same free TPU */
  placeModel(model: PooledModel, request: string | undefined): Promise<PlacementDecision> {
    const next = this.#placing.then(() => this.#place(model, request));
    this.#placing = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
  #placing: Promise<void> = Promise.resolve();

  async #place(model: PooledModel, request: string | undefined): Promise<PlacementDecision> {
    if (this.manager.list().length === 0) await this.manager.refresh();
    const usable = this.manager
      .list()
      .filter((d) => d.personality === 'app')
      .map((d) => this.#slotFor(d))
      .filter((s) => !s.error || s.error.reason !== 'device-gone');
    const slots: DeviceSlot[] = usable.map((s) => ({ id: s.id, models: [...s.models].map(placedOf) }));
    if (slots.length === 0 && this.manager.list().some((d) => d.personality === 'dfu')) {
      throw new ReefError(
        'FAILED_PRECONDITION',
        `every connected Coral is in its DFU bootloader (${this.manager
          .list()
          .map((d) => d.id)
          .join(', ')}); flash the firmware first`,
        { reason: 'needs-firmware' },
      );
    }
    const decision = chooseDevice(placedOf(model), request, slots);
    const slot = this.#slots.get(decision.deviceId)!;
    const tpu = await this.#open(slot);
    const driverModel = await tpu.load(model.program);
    if (slot.gone) throw goneError(slot.id, `${model.name} could not be loaded`);
    model.attach(slot, driverModel, decision);
    this.#emit({ type: 'placed', device: slot.id, model: model.name });
    return decision;
  }

  /** @internal one run through the device's serial queue, failing fast if the device goes away. */
  enqueueRun(
    slot: DeviceSlotState,
    model: PooledModel,
    driverModel: EdgeTpuModel,
    inputs: readonly ArrayBufferView[],
  ): Promise<EdgeTpuTensor[]> {
    return new Promise<EdgeTpuTensor[]>((resolve, reject) => {
      const pending: PendingRun = { reject, settled: false };
      slot.pending.add(pending);
      const work = async (): Promise<void> => {
        if (pending.settled) return; // failed while queued (device gone, pool closed)
        const tpu = slot.tpu!;
        slot.active++;
        if (slot.active === 1) this.#emit({ type: 'changed', device: slot.id });
        const uploadsBefore = tpu.stats.parameterUploads;
        try {
          const outputs = await driverModel.run(inputs);
          this.#account(slot, model, tpu.stats.parameterUploads - uploadsBefore);
          model.runs++;
          if (!pending.settled) {
            pending.settled = true;
            resolve(outputs);
          }
        } catch (error) {
          // A failed request (and the reset after it) leaves the chip's cache empty (§4.8): the next
          // upload refills it and is not a swap.
          slot.resident.clear();
          slot.uploadedBefore.clear();
          if (tpu.state === 'failed' && error instanceof ReefError) slot.error = error;
          // The driver did not find its re-enumerated stick again: it is gone after all.
          if (slot.following && tpu.state === 'failed') this.#drop(slot);
          settle(pending, slot.gone ? goneError(slot.id, `${model.name}'s run failed`) : error);
        } finally {
          slot.pending.delete(pending);
          slot.active--;
          if (slot.active === 0) this.#emit({ type: 'changed', device: slot.id });
        }
      };
      slot.queue = slot.queue.then(work);
    });
  }

  #account(slot: DeviceSlotState, model: PooledModel, uploads: number): void {
    const token = model.cachingToken;
    // Another token (or a stand-alone model) evicts everything the chip held.
    for (const key of slot.resident) {
      const other = [...slot.models].find((m) => m.key === key);
      if (token === null || other?.cachingToken !== token) slot.resident.delete(key);
    }
    if (uploads > 0) {
      if (slot.uploadedBefore.has(model.key)) {
        slot.swaps += uploads;
        model.swaps += uploads;
      }
      slot.uploadedBefore.add(model.key);
    }
    if (token !== null) slot.resident.add(model.key);
  }

  #slotFor(managed: ManagedDevice): DeviceSlotState {
    let slot = this.#slots.get(managed.id);
    if (!slot || slot.managed !== managed) {
      slot = new DeviceSlotState(managed);
      this.#slots.set(managed.id, slot);
    }
    return slot;
  }

  #open(slot: DeviceSlotState): Promise<EdgeTpu> {
    if (slot.tpu && slot.tpu.state === 'open') return Promise.resolve(slot.tpu);
    if (slot.tpu && slot.tpu.state === 'failed') {
      const tpu = slot.tpu;
      return tpu.reopen().then(
        () => {
          slot.error = undefined;
          return tpu;
        },
        (error: unknown) => {
          slot.error = error instanceof ReefError ? error : undefined;
          throw error;
        },
      );
    }
    slot.opening ??= (async () => {
      const open = this.#options.open ?? openEdgeTpu;
      try {
        // The driver gets the USB host too, to follow a stick that a reset re-enumerates.
        const tpu = await open(slot.managed.device, { usb: this.#usb, ...this.#options.driver, label: slot.id });
        slot.tpu = tpu;
        slot.error = undefined;
        if (slot.gone) void tpu.close();
        return tpu;
      } catch (error) {
        slot.error = error instanceof ReefError ? error : new ReefError('UNAVAILABLE', String(error));
        throw error;
      } finally {
        slot.opening = undefined;
        this.#emit({ type: 'changed', device: slot.id });
      }
    })();
    return slot.opening;
  }

  #added(managed: ManagedDevice): void {
    const following = [...this.#slots.values()].find((s) => s.following);
    if (following && managed.personality === 'app') {
      following.following = false;
      if (following.id === managed.id) {
        // The same stick under a new USBDevice: the slot keeps its models and its driver.
        following.managed = managed;
        this.#emit({ type: 'changed', device: managed.id });
        return;
      }
      this.#drop(following);
    }
    this.#slotFor(managed);
    this.#emit({ type: 'added', device: managed.id });
  }

  #removed(managed: ManagedDevice): void {
    const slot = this.#slots.get(managed.id);
    if (!slot || slot.managed !== managed) {
      this.#emit({ type: 'removed', device: managed.id });
      return;
    }
    // A reset inside the driver's recovery may make the stick re-enumerate; the driver finds it
    // again by itself (it has the USB host), so the slot waits for it instead of dropping its models.
    if (slot.tpu?.state === 'recovering' && slot.tpu.options.usb) {
      slot.following = true;
      return;
    }
    this.#drop(slot);
  }

  /** The slot's stick is gone for good: its runs fail, its models are orphaned, its driver closes. */
  #drop(slot: DeviceSlotState): void {
    const managed = slot.managed;
    slot.gone = true;
    this.#slots.delete(managed.id);
    for (const run of [...slot.pending]) settle(run, goneError(slot.id, 'its pending runs were cancelled'));
    slot.pending.clear();
    for (const model of [...slot.models]) {
      model.orphan();
      this.#emit({ type: 'orphaned', device: slot.id, model: model.name });
    }
    // Best effort: the device object is dead; close() just releases the driver's state.
    void slot.tpu?.close().catch(() => undefined);
    this.#emit({ type: 'removed', device: managed.id });
  }

  #info(slot: DeviceSlotState): PoolDeviceInfo {
    const { managed, tpu } = slot;
    let state: PoolDeviceState;
    if (managed.personality === 'dfu') state = 'needs-firmware';
    else if (slot.error || tpu?.state === 'failed') state = 'error';
    else state = slot.active > 0 ? 'busy' : 'idle';
    const modelsByKey = new Map([...slot.models].map((m) => [m.key, m.name]));
    const info: PoolDeviceInfo = {
      id: managed.id,
      personality: managed.personality,
      speed: managed.speed,
      state,
      clock: tpu && tpu.state !== 'closed' ? (tpu.info?.clock ?? tpu.options.clock) : null,
      models: [...slot.models].map((m) => m.name),
      residentToken: tpu && tpu.cachedToken !== '0' ? tpu.cachedToken : null,
      residentModels: [...slot.resident].map((k) => modelsByKey.get(k)).filter((n): n is string => n !== undefined),
      inferences: tpu?.stats.inferences ?? 0,
      parameterUploads: tpu?.stats.parameterUploads ?? 0,
      swaps: slot.swaps,
    };
    if (managed.speed === 'high' || managed.speed === 'full') info.speedWarning = SLOW_LINK;
    if (slot.error) info.error = slot.error.message;
    return info;
  }

  #emit(event: PoolEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

function placedOf(model: PooledModel): PlacedModel {
  return { key: model.key, name: model.name, cachingToken: model.cachingToken };
}

function settle(run: PendingRun, error: unknown): void {
  if (run.settled) return;
  run.settled = true;
  run.reject(error);
}
