/**
 * The virtual Coral USB Accelerator: a test double of the stick, not a performance model of the
 * hardware. Power-on shows the DFU bootloader; a complete download of the official firmware plus a
 * USB reset re-enumerates it as a NEW `USBDevice` (18d1:9302) on the emulated USB; replug returns
 * it to DFU. Every protocol rule of §8 is checked; faults can be injected; an optional latency
 * model (per transfer, per byte, per inference) feeds benchmarks.
 *
 * Core files import nothing from Node, so a browser test build can bundle the emulator.
 */
import { AppFunction, type ComputeFn } from './app-function.ts';
import { EmulatedUsbDevice, type DeviceBackend } from './device.ts';
import type { LinkSpeed } from './descriptors.ts';
import { DfuFunction } from './dfu-function.ts';
import { domError, EmulatorProtocolError } from './errors.ts';
import { isEmulatedModel, readEmulatedModel, type EmulatedModel } from './executable-model.ts';
import { LatencyClock } from './latency-clock.ts';
import { EmulatedUsb } from './usb-host.ts';

/** SHA-256 of the two official images (protocol §2.1). */
const OFFICIAL_FIRMWARE: Record<string, 'single-ep' | 'multi-ep'> = {
  '3b07311b174b81fd14fd2c887f40d646c0ebf2f140cc5ee5cf8befa0f3e3dc7f': 'single-ep',
  f95e0b348e3a38e1191ec81baa80c7c3c331556da6ca8be59c01d66769c3c415: 'multi-ep',
};

export interface LatencyModel {
  /** Fixed cost of every transfer (ms). */
  perTransferMs: number;
  /** Bus time per byte moved (ms). */
  perByteMs: number;
  /** Compute time of one inference before outputs appear (ms). */
  perInferenceMs: number;
}

export const ZERO_LATENCY: LatencyModel = { perTransferMs: 0, perByteMs: 0, perInferenceMs: 0 };

export interface TransferFilter {
  /** `control`, or an endpoint number with direction. */
  type?: 'control' | 'bulk';
  direction?: 'in' | 'out';
  endpoint?: number;
}

export interface VirtualCoralOptions {
  usb?: EmulatedUsb;
  speed?: LinkSpeed;
  latency?: LatencyModel;
  /** Start already running firmware (app personality), as after a flash. Default false. */
  firmwareLoaded?: boolean;
  /** Delay between a reset and the new personality appearing (ms). Default 0. */
  reenumerateMs?: number;
  /** Plug in at construction. Default true. */
  plugged?: boolean;
  /**
   * Behave like node-usb's WebUSB: every IN transfer times out after its third argument (default
   * `defaultMs`, at most `maxMs`) and fails; WebUSB in a browser has no such timeout.
   */
  hostTimeouts?: { defaultMs: number; maxMs?: number };
}

interface Armed {
  filter: TransferFilter;
  count: number;
}

function matches(filter: TransferFilter, type: 'control' | 'bulk', direction: 'in' | 'out', endpoint: number): boolean {
  if (filter.type && filter.type !== type) return false;
  if (filter.direction && filter.direction !== direction) return false;
  if (filter.endpoint !== undefined && (type === 'control' || filter.endpoint !== endpoint)) return false;
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class VirtualCoral {
  readonly usb: EmulatedUsb;
  readonly speed: LinkSpeed;
  latency: LatencyModel;
  /** The link's timeline: per-transfer and per-byte costs are booked here, not slept one by one. */
  readonly link = new LatencyClock();
  /** The chip's compute timeline (per-inference cost). */
  readonly chip = new LatencyClock();
  readonly reenumerateMs: number;
  readonly hostTimeouts: VirtualCoralOptions['hostTimeouts'];
  /** Protocol violations seen (driver bugs); a passing test expects none. */
  readonly violations: string[] = [];
  /** Why the chip stopped answering, if it did. */
  wedged: string | undefined;
  firmware: 'none' | 'single-ep' | 'multi-ep';
  /** Images downloaded and reset into that were not an official firmware. */
  rejectedImages = 0;
  /** Enumerations so far (each made a new USBDevice). */
  enumerations = 0;
  /** Transfers on the current device object. */
  transfers = 0;
  readonly app: AppFunction;
  dfu: DfuFunction;
  device: EmulatedUsbDevice | undefined;

  readonly #registered: { name: string; program: EmulatedModel; compute: ComputeFn | undefined }[] = [];
  #unplugAt: number | undefined;
  #unplugAtRequest: number | undefined;
  #stalls: Armed[] = [];
  #delays: (Armed & { ms: number })[] = [];
  #dropEvents = 0;
  #dfuFailAt: number | undefined;
  #resetFailures = 0;
  #reenumerations: { count: number; resetResolves: boolean } = { count: 0, resetResolves: false };
  /** USB resets the stick received (any personality). */
  resets = 0;
  #hung = new Set<(error: Error) => void>();
  #wedgeBudget = 0;

  constructor(options: VirtualCoralOptions = {}) {
    this.usb = options.usb ?? new EmulatedUsb();
    this.speed = options.speed ?? 'super';
    this.latency = options.latency ?? ZERO_LATENCY;
    this.reenumerateMs = options.reenumerateMs ?? 0;
    this.hostTimeouts = options.hostTimeouts;
    this.firmware = options.firmwareLoaded ? 'single-ep' : 'none';
    this.app = this.#makeApp();
    this.dfu = this.#makeDfu();
    if (options.plugged ?? true) this.#enumerate();
  }

  // ---- test-facing API

  #ready: Promise<unknown> = Promise.resolve();

  /** Bulk OUT waits for `work` first (e.g. a browser build still fetching the models to register). */
  whenReady(work: Promise<unknown>): void {
    this.#ready = work.catch((error: unknown) => this.violations.push(`emulator setup failed: ${String(error)}`));
  }

  /**
   * Tells the emulator about a model, so it can check the stream and compute outputs (§8 #12). It
   * takes the compiled model's bytes (or the emulator's own reading of them), never the driver's
   * decoding: what the device expects must not come from the code under test.
   */
  registerModel(name: string, model: Uint8Array | EmulatedModel, compute?: ComputeFn): void {
    if (!(model instanceof Uint8Array) && !isEmulatedModel(model))
      throw new Error('registerModel takes model bytes or a model read by tests/emulator/executable-model.ts');
    const program = model instanceof Uint8Array ? readEmulatedModel(model) : model;
    const entry = { name, program, compute };
    this.#registered.push(entry);
    this.app.programs.push(entry);
  }

  get personality(): 'dfu' | 'app' | 'unplugged' {
    if (!this.device) return 'unplugged';
    return this.device.vendorId === 0x18d1 ? 'app' : 'dfu';
  }

  /** Pull the stick out: pending transfers fail, the firmware (in RAM) is lost (§8 #5). */
  unplug(): void {
    const device = this.device;
    if (!device) return;
    this.device = undefined;
    this.firmware = 'none';
    const gone = domError('NotFoundError', 'The device was disconnected.');
    this.app.reset(gone);
    this.#releaseHung(gone);
    device.kill();
    this.usb.detach(device);
  }

  /** Plug it back in: the bootloader again, as a new device object. */
  replug(): void {
    if (this.device) this.unplug();
    this.#enumerate();
  }

  /** The k-th transfer from now (1 = the next) finds the device unplugged. */
  unplugAtTransfer(k: number): void {
    this.#unplugAt = this.transfers + k;
  }
  /**
   * The stick is pulled out while the k-th request from now (1 = the next) is under way: the
   * transfer after the one that opened it finds the device gone. Counted in requests, not
   * transfers, so a test can stop a run of inferences part-way however fast they go.
   */
  unplugAtRequest(k: number): void {
    this.#unplugAtRequest = this.app.stats.requests + k;
  }
  /** The next `count` matching transfers return status `stall`. */
  stallNext(filter: TransferFilter = {}, count = 1): void {
    this.#stalls.push({ filter, count });
  }
  /** The next `count` matching transfers take `ms` longer (a slow reply). */
  delayNext(ms: number, filter: TransferFilter = {}, count = 1): void {
    this.#delays.push({ filter, count, ms });
  }
  /** The next `n` completion events (0x82) are never sent. */
  dropNextEvents(n = 1): void {
    this.#dropEvents += n;
  }
  /** The bootloader reports errWRITE / dfuERROR for DNLOAD block `block`. */
  failDfuAtBlock(block: number): void {
    this.#dfuFailAt = block;
  }
  /** The next `n` calls to `reset()` reject (as seen on macOS/Windows, protocol §2.7). */
  failNextResets(n = 1): void {
    this.#resetFailures += n;
  }
  /**
   * The next `n` resets in app mode re-enumerate the stick as a NEW `USBDevice` (as some hosts do,
   * protocol §7.2) after `reenumerateMs`; the old object dies. The reset rejects as the device goes
   * away, or with `resetResolves` succeeds first and the object dies right after.
   */
  reenumerateOnReset(n = 1, options: { resetResolves?: boolean } = {}): void {
    this.#reenumerations = { count: this.#reenumerations.count + n, resetResolves: options.resetResolves ?? false };
  }
  /**
   * Output and events a crashed host left in the stick's USB FIFOs (issue 12): only a port reset
   * (or replug) drops them; the open sequence's core reset does not.
   */
  queueStaleOutput(bytes: number, events = 1): void {
    this.app.queueStale(bytes, events);
  }
  /** The bootloader is busy for `polls` GETSTATUS answers after each DNLOAD, with this bwPollTimeout. */
  dfuBusy(polls: number, pollTimeoutMs: number): void {
    this.dfu.busy = { polls, pollTimeoutMs };
  }
  /** The bootloader starts in this DFU state (e.g. dfuERROR after a refused block). */
  dfuStartsIn(state: number, status = 0): void {
    this.dfu.state = state;
    this.dfu.status = status;
  }
  /** Raise the interrupt word on 0x83 (bit0 fatal, bits 1–4 top-level) with its status registers. */
  raiseInterrupt(word: number): void {
    this.app.raiseInterrupt(word);
  }
  /** The chip stops answering: bulk transfers hang until a reset (protocol §6). */
  wedge(why: string): void {
    if (!this.wedged) this.wedged = why;
  }

  // ---- plumbing

  #makeApp(): AppFunction {
    return new AppFunction({
      dropEvents: () => {
        if (this.#dropEvents === 0) return false;
        this.#dropEvents--;
        return true;
      },
      inferenceDelay: async () => {
        await this.chip.take(this.latency.perInferenceMs);
      },
      violation: (message) => this.violations.push(message),
      wedge: (why) => {
        this.violations.push(`wedged: ${why}`);
        this.wedge(why);
        // §4.8/§8 #12: about 48 KiB of an unexpected stream is still accepted before it stops.
        this.#wedgeBudget = 48 * 1024;
      },
    });
  }

  #makeDfu(): DfuFunction {
    return new DfuFunction({
      failAtBlock: () => this.#dfuFailAt,
      violation: (message) => this.violations.push(message),
    });
  }

  #enumerate(): void {
    const personality = this.firmware === 'none' ? 'dfu' : 'app';
    if (personality === 'dfu') this.dfu = this.#makeDfu();
    this.app.reset(domError('AbortError', 'reset'));
    this.app.firmwareVariant = this.firmware === 'multi-ep' ? 'multi-ep' : 'single-ep';
    this.wedged = undefined;
    this.transfers = 0;
    this.#unplugAt = undefined;
    this.#unplugAtRequest = undefined;
    this.link.reset();
    this.chip.reset();
    const device = new EmulatedUsbDevice(this.#backend(personality), this.speed);
    this.device = device;
    this.enumerations++;
    this.usb.attach(device);
  }

  #releaseHung(error: Error): void {
    for (const reject of this.#hung) reject(error);
    this.#hung.clear();
  }

  /** Common path of every transfer: unplug/stall/delay faults, wedge, latency. */
  async #enter(
    type: 'control' | 'bulk',
    direction: 'in' | 'out',
    endpoint: number,
    bytes: number,
  ): Promise<'ok' | 'stall'> {
    this.transfers++;
    if (this.#unplugAt !== undefined && this.transfers >= this.#unplugAt) {
      this.#unplugAt = undefined;
      this.unplug();
      throw domError('NotFoundError', 'The device was disconnected.');
    }
    const stall = this.#stalls.find((s) => s.count > 0 && matches(s.filter, type, direction, endpoint));
    if (stall) {
      stall.count--;
      return 'stall';
    }
    const delay = this.#delays.find((d) => d.count > 0 && matches(d.filter, type, direction, endpoint));
    if (delay) {
      delay.count--;
      await sleep(delay.ms);
    }
    await this.link.take(this.latency.perTransferMs + bytes * this.latency.perByteMs);
    return 'ok';
  }

  #hang<T>(): Promise<T> {
    return new Promise<T>((_, reject) => this.#hung.add(reject));
  }

  #backend(personality: 'dfu' | 'app'): DeviceBackend {
    const app = this.app;
    const guard = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof EmulatorProtocolError) this.violations.push(error.message);
        throw error;
      }
    };
    return {
      personality,
      controlIn: async (setup, length) => {
        if ((await this.#enter('control', 'in', 0, length)) === 'stall')
          return { status: 'stall' } as USBInTransferResult;
        if (personality === 'dfu') return guard(() => this.dfu.controlIn(setup, length));
        return guard(() => app.controlIn(setup, length));
      },
      controlOut: async (setup, data) => {
        if ((await this.#enter('control', 'out', 0, data.length)) === 'stall') {
          return { status: 'stall', bytesWritten: 0 } as USBOutTransferResult;
        }
        if (personality === 'dfu') return guard(() => this.dfu.controlOut(setup, data));
        return guard(() => app.controlOut(setup, data));
      },
      transferIn: async (endpoint, length, timeoutMs) => {
        if (personality === 'dfu')
          throw guard(() => new EmulatorProtocolError('the DFU personality has no endpoints (§8 #1)'));
        if ((await this.#enter('bulk', 'in', endpoint, 0)) === 'stall')
          return { status: 'stall' } as USBInTransferResult;
        if (this.wedged) return this.#hang();
        const host = this.hostTimeouts;
        const limit = host ? Math.min(timeoutMs ?? host.defaultMs, host.maxMs ?? Infinity) : undefined;
        const result = await guard(() => app.transferIn(endpoint, length, limit));
        const n = result.data?.byteLength ?? 0;
        if (n > 0) await this.link.take(n * this.latency.perByteMs);
        return result;
      },
      transferOut: async (endpoint, data) => {
        if (personality === 'dfu')
          throw guard(() => new EmulatorProtocolError('the DFU personality has no endpoints (§8 #1)'));
        if ((await this.#enter('bulk', 'out', endpoint, data.length)) === 'stall') {
          return { status: 'stall', bytesWritten: 0 } as USBOutTransferResult;
        }
        if (endpoint !== 1 || this.firmware === 'multi-ep') {
          throw guard(
            () => new EmulatorProtocolError(`bulk OUT on endpoint ${endpoint} with single-endpoint firmware`),
          );
        }
        if (this.wedged) {
          if (this.#wedgeBudget >= data.length) {
            this.#wedgeBudget -= data.length;
            return { status: 'ok', bytesWritten: data.length } as USBOutTransferResult;
          }
          return this.#hang();
        }
        await this.#ready;
        // The transfer that wedges the chip is still taken into its FIFO; later ones hit the budget.
        guard(() => app.bulkOut(data));
        if (this.#unplugAtRequest !== undefined && app.stats.requests >= this.#unplugAtRequest) {
          this.#unplugAtRequest = undefined;
          this.#unplugAt = this.transfers + 1;
        }
        return { status: 'ok', bytesWritten: data.length } as USBOutTransferResult;
      },
      reset: async (device) => {
        if (this.#resetFailures > 0) {
          this.#resetFailures--;
          throw domError('NetworkError', 'Unable to reset the device.');
        }
        this.resets++;
        if (personality === 'app' && this.#reenumerations.count > 0) {
          this.#reenumerations.count--;
          const gone = domError('NotFoundError', 'The device was disconnected.');
          this.#releaseHung(gone);
          this.device = undefined;
          const die = () => {
            device.kill();
            this.usb.detach(device);
            const appear = () => this.#enumerate();
            if (this.reenumerateMs > 0) setTimeout(appear, this.reenumerateMs);
            else queueMicrotask(appear);
          };
          if (this.#reenumerations.resetResolves) {
            queueMicrotask(die);
            return;
          }
          die();
          throw gone;
        }
        if (personality === 'app') {
          // §8 #5: same device object, core back in reset, cached parameters dropped.
          const aborted = domError('AbortError', 'The transfer was cancelled.');
          const thermal = this.app.interrupts.thermalFlags;
          this.app.reset(aborted);
          this.app.interrupts.thermalFlags = thermal;
          this.#releaseHung(aborted);
          this.wedged = undefined;
          return;
        }
        if (!this.dfu.complete) return; // §8 #4: no complete image, stays in DFU
        const image = this.dfu.downloaded;
        const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', image as Uint8Array<ArrayBuffer>))]
          .map((b) => b.toString(16).padStart(2, '0'))
          .join('');
        const variant = OFFICIAL_FIRMWARE[digest];
        if (!variant) {
          this.rejectedImages++;
          this.violations.push(`DFU: reset into an image that is not an official firmware (${image.length} bytes)`);
          this.dfu = this.#makeDfu();
          return;
        }
        // Re-enumeration: this object dies, a new one appears.
        this.firmware = variant;
        const gone = domError('NotFoundError', 'The device was disconnected.');
        this.#releaseHung(gone);
        this.device = undefined;
        device.kill();
        this.usb.detach(device);
        const appear = () => this.#enumerate();
        if (this.reenumerateMs > 0) setTimeout(appear, this.reenumerateMs);
        else queueMicrotask(appear);
        throw gone; // the reset "fails" because the device went away (webdfu ignores this, §2.7)
      },
      abort: (error) => {
        app.abortReads(error);
        this.#releaseHung(error);
      },
    };
  }
}
