/**
 * The Edge TPU USB driver: opens an application-mode Coral (protocol §3; port reset first, as
 * libedgetpu does, §2.3), loads compiled models, replays their DMA hints per inference (§4.4,
 * §4.12), keeps the parameter cache (§4.8), accounts for every output byte of a request, and after a
 * fault resets and reopens the device (§6), following it if the reset re-enumerates it, so a failed
 * inference never leaves it unusable.
 * It orchestrates; the encoding lives in usb/ (transfers, CSRs, framing) and streamable-program.ts.
 *
 *   const tpu = await openEdgeTpu(device, { clock: 'max' });
 *   const model = await tpu.load(modelBytes);
 *   const [out] = await model.run([input]);
 *   await tpu.close();
 */
import { withDeadline } from '../../deadline.ts';
import { ReefError } from '../../errors.ts';
import { DeviceStreams } from './device-streams.ts';
import { DmaReportLedger } from './dma-reports.ts';
import { resolveOptions, type EdgeTpuOptions, type ResolvedOptions } from './driver-options.ts';
import { needsFirstReset } from './fresh-devices.ts';
import { personalityOf, usbSpeedOf, type UsbSpeed } from '../usb/identity.ts';
import {
  InterruptStorm,
  TOP_LEVEL,
  TOP_LEVEL_WARNINGS,
  clearTopLevelInterrupt,
  disableTopLevelInterrupt,
} from './interrupts.ts';
import { runCloseSequence, runOpenSequence } from './open-sequence.ts';
import { ParameterCache } from './parameter-cache.ts';
import {
  AddressMap,
  checkInput,
  checkProgram,
  prepareExecutable,
  stageInputs,
  type PreparedExecutable,
} from './streamable-program.ts';
import {
  actualBytes,
  paddedBytes,
  type LayerDataType,
  type ProgramLayer,
  type TpuProgram,
} from '../program/tpu-program.ts';
import { programFromModel } from '../program/program-from-model.ts';
import { gatherOutput, packInput } from './relayout.ts';
import { readCsr64, writeCsr64 } from '../usb/csr.ts';
import type { EventDescriptor } from '../usb/framing.ts';
import { CORAL_INTERFACE, claimCoralInterface, type UsbDeviceLike } from '../usb/device.ts';
import { HEADER_BYTES, TAG, encodeHeader } from '../usb/framing.ts';
import { CSR } from '../usb/registers.ts';
import { appDevicesNow, findSameStick, identityOf, type StickIdentity } from '../usb/same-stick.ts';
import { UsbTransport } from '../usb/transfer.ts';

export type EdgeTpuState = 'closed' | 'opening' | 'open' | 'recovering' | 'failed' | 'closing';

export interface EdgeTpuStats {
  inferences: number;
  /** Parameter-caching runs (weights uploaded to the chip). */
  parameterUploads: number;
  recoveries: number;
  /** Runs that ended in an error. */
  failures: number;
  bytesOut: number;
  bytesIn: number;
  transfers: number;
}

export interface TensorSpec {
  name: string;
  dataType: LayerDataType;
  /** Layer shape [y, x, z] (protocol §5.5). */
  shape: number[];
  /** real = (q − zeroPoint) × scale */
  scale: number;
  zeroPoint: number;
  /** Bytes of one tensor as the user sees it. */
  sizeBytes: number;
  /** Bytes the device moves (padded layer size). */
  paddedBytes: number;
}

export type TpuTypedArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Float32Array;

export interface EdgeTpuTensor extends TensorSpec {
  data: TpuTypedArray;
}

export interface EdgeTpuInfo {
  label: string;
  speed: UsbSpeed;
  clock: string;
  efuseRevision: number;
  outputChunkBytes: number;
}

const WIDTH: Record<LayerDataType, number> = {
  uint8: 1,
  int8: 1,
  fixed16: 2,
  int16: 2,
  bfloat16: 2,
  float16: 2,
  int32: 4,
  float32: 4,
};

function typedView(dataType: LayerDataType, bytes: Uint8Array): TpuTypedArray {
  const { buffer, byteOffset, byteLength } = bytes;
  const n = byteLength / WIDTH[dataType];
  switch (dataType) {
    case 'uint8':
      return bytes;
    case 'int8':
      return new Int8Array(buffer, byteOffset, n);
    case 'int16':
    case 'fixed16':
      return new Int16Array(buffer, byteOffset, n);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(buffer, byteOffset, n);
    case 'int32':
      return new Int32Array(buffer, byteOffset, n);
    case 'float32':
      return new Float32Array(buffer, byteOffset, n);
  }
}

function specOf(layer: ProgramLayer): TensorSpec {
  return {
    name: layer.name,
    dataType: layer.dataType,
    shape: [layer.yDim, layer.xDim, layer.zDim],
    scale: layer.scale,
    zeroPoint: layer.zeroPoint,
    sizeBytes: actualBytes(layer),
    paddedBytes: paddedBytes(layer),
  };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Device-driven DMAs (§4.10) one request may ask for before the driver calls it a runaway device. */
const MAX_DEVICE_REQUESTS = 1 << 16;

/** Output layers with this suffix carry the next value of the same-named input (§4.9). */
const VARIABLE_OUTPUT = '_variable_output';

function isGone(error: unknown): boolean {
  if (error instanceof ReefError) return error.reason === 'device-gone';
  return error instanceof Error && error.name === 'NotFoundError';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One turn of the event loop: transfers the device completed before its completion event may still
 * be on their way through the host's callbacks. setImmediate (Node) is cheaper than setTimeout(0).
 */
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
const nextTask = (): Promise<void> =>
  new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));

/** `warnings` keeps the latest this many (a long session must not grow it without end). */
const MAX_WARNINGS = 32;

/** Quiet time on 0x81/0x82 that ends the stale-data drain after an open, and its upper bound. */
const DRAIN_QUIET_MS = 10;
const DRAIN_MAX_MS = 500;

/** A compiled model loaded on one Edge TPU. */
export class EdgeTpuModel {
  readonly program: TpuProgram;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** The TFLite graph has CPU operators around the Edge TPU op (a composite engine runs those). */
  readonly hasCpuOps: boolean;
  readonly #tpu: EdgeTpu;
  readonly main: PreparedExecutable;
  readonly parameterCaching: PreparedExecutable | undefined;
  /**
   * Stateful layers (§4.9): input index → index of the output named `<input>_variable_output`. After
   * each run that output is written back as the input's next value, as libedgetpu does for LSTM state.
   */
  readonly variables: ReadonlyMap<number, number>;
  /** The current value of each stateful input (user layout; zeros after load and `resetState()`). */
  readonly state = new Map<number, Uint8Array>();
  #disposed = false;

  constructor(tpu: EdgeTpu, program: TpuProgram, slot: number, hasCpuOps: boolean) {
    checkProgram(program);
    this.#tpu = tpu;
    this.program = program;
    this.hasCpuOps = hasCpuOps;
    const addresses = new AddressMap(slot);
    this.main = prepareExecutable(program.main, addresses);
    this.parameterCaching = program.parameterCaching
      ? prepareExecutable(program.parameterCaching, addresses)
      : undefined;
    this.inputs = program.main.inputLayers.map(specOf);
    this.outputs = program.main.outputLayers.map(specOf);
    const variables = new Map<number, number>();
    program.main.outputLayers.forEach((layer, o) => {
      if (!layer.name.endsWith(VARIABLE_OUTPUT)) return;
      const base = layer.name.slice(0, -VARIABLE_OUTPUT.length);
      const i = program.main.inputLayers.findIndex((l) => l.name === base);
      if (i >= 0) variables.set(i, o);
    });
    this.variables = variables;
    this.resetState();
  }

  /** Inputs the caller supplies: every layer except the stateful ones the model keeps itself. */
  get userInputs(): readonly TensorSpec[] {
    return this.inputs.filter((_, i) => !this.variables.has(i));
  }

  /** Outputs that are not state write-backs. */
  get userOutputs(): readonly TensorSpec[] {
    return this.outputs.filter((_, o) => ![...this.variables.values()].includes(o));
  }

  /**
   * Starts the next run from reset state (one run = one sequence, as the runtime's CPU LSTM kernel
   * does). The reset value is TFLite's (ResetVariableTensor): the zero point for int8, so the state
   * means a real 0, and zero bytes for every other type.
   */
  resetState(): void {
    for (const i of this.variables.keys()) {
      const spec = this.inputs[i]!;
      const state = new Uint8Array(spec.sizeBytes);
      if (spec.dataType === 'int8') state.fill(spec.zeroPoint & 0xff);
      this.state.set(i, state);
    }
  }

  /**
   * Runs one inference: inputs in layer order (typed arrays of the raw quantized values), either for
   * every layer or only for `userInputs` (stateful layers then come from `state`). Returns every
   * output layer; `_variable_output` layers are also written back into `state` (§4.9).
   */
  async run(inputs: readonly ArrayBufferView[]): Promise<EdgeTpuTensor[]> {
    if (this.#disposed) {
      throw new ReefError('FAILED_PRECONDITION', 'the model was disposed', { reason: 'disposed' });
    }
    let bytes = inputs.map(bytesOf);
    if (this.variables.size > 0 && bytes.length === this.inputs.length - this.variables.size) {
      const given = bytes.values();
      bytes = this.inputs.map((_, i) => this.state.get(i) ?? given.next().value!);
    }
    const outputs = await this.#tpu.runModel(this, bytes);
    for (const [i, o] of this.variables) {
      const out = outputs[o]!.data;
      this.state.set(i, new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice());
    }
    return outputs;
  }

  dispose(): void {
    this.#disposed = true;
  }
}

export class EdgeTpu {
  readonly options: ResolvedOptions;
  readonly usb: UsbTransport;
  readonly stats: EdgeTpuStats = {
    inferences: 0,
    parameterUploads: 0,
    recoveries: 0,
    failures: 0,
    bytesOut: 0,
    bytesIn: 0,
    transfers: 0,
  };
  /** Non-fatal events, latest last (thermal warning, stale data dropped, …); at most 32. */
  readonly warnings: string[] = [];
  #device: UsbDeviceLike;
  #state: EdgeTpuState = 'closed';
  #info: EdgeTpuInfo | undefined;
  #streams: DeviceStreams | undefined;
  readonly #cache = new ParameterCache();
  #queue: Promise<unknown> = Promise.resolve();
  #slots = 0;
  #failure: ReefError | undefined;
  /** descr_ep = 0xFF: the option, or switched on for a model with non-deterministic hints (§4.10). */
  #descriptors: boolean;
  /** Interrupt handlers run one at a time, and a recovery waits for them (no CSR access mid-reset). */
  #interrupts: Promise<void> = Promise.resolve();
  readonly #storm = new InterruptStorm();
  /** A thermal shutdown fired: its source is cleared before the recovery's reset. */
  #shutdownPending = false;
  /** What the stick looked like before the last reset, to find it if it re-enumerates late. */
  #lastReset: { identity: StickIdentity; before: ReadonlySet<USBDevice> } | undefined;

  constructor(device: UsbDeviceLike, options: EdgeTpuOptions = {}) {
    this.#device = device;
    this.options = resolveOptions(options);
    this.#descriptors = this.options.bulkDescriptorsFromDevice;
    const trace = options.trace
      ? { sink: options.trace.sink, dataLimitBytes: options.trace.dataLimitBytes }
      : undefined;
    this.usb = new UsbTransport(device, {
      label: this.options.label,
      timeoutMs: this.options.transferTimeoutMs,
      trace,
    });
  }

  /** The stick's current `USBDevice` (a new object after a reset that re-enumerated it). */
  get device(): UsbDeviceLike {
    return this.#device;
  }

  get state(): EdgeTpuState {
    return this.#state;
  }

  get info(): EdgeTpuInfo | undefined {
    return this.#info;
  }

  /** Whether the device reports every DMA on 0x82 (descr_ep = 0xFF, §4.6). */
  get bulkDescriptorsFromDevice(): boolean {
    return this.#descriptors;
  }

  /** Token of the weights the chip holds now ("0" = none), per protocol §4.8. */
  get cachedToken(): string {
    return this.#cache.token;
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Opens the device: port reset (first open only), claim interface 0, the §3.5 sequence, posted reads, stale data drained. */
  open(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state === 'open') return;
      if (personalityOf(this.#device) !== 'app') {
        throw new ReefError(
          'FAILED_PRECONDITION',
          personalityOf(this.#device) === 'dfu'
            ? `${this.options.label}: the Coral is in its DFU bootloader (1a6e:089a); flash the firmware first`
            : `${this.options.label}: not a Coral USB Accelerator (${this.#device.vendorId.toString(16)}:${this.#device.productId.toString(16)})`,
          { reason: personalityOf(this.#device) === 'dfu' ? 'needs-firmware' : 'not-a-coral' },
        );
      }
      this.#state = 'opening';
      try {
        // libedgetpu and webcoral reset the port before every open (protocol §2.3): a stick that a
        // crashed tab left mid-request must not hand its stale output to our first request.
        if (this.options.resetOnOpen && needsFirstReset(this.#device)) await this.#portReset();
        await this.#bringUp();
        this.#state = 'open';
      } catch (error) {
        this.#state = 'failed';
        this.#failure = error instanceof ReefError ? error : undefined;
        throw error;
      }
    });
  }

  /**
   * USB reset, tolerated when it fails (protocol §2.7: unreliable on some OSes; close instead) and
   * followed when the stick comes back as a new `USBDevice`; then the settle pause.
   */
  async #portReset(): Promise<void> {
    const before = await appDevicesNow(this.options.usb);
    const identity = identityOf(this.#device);
    this.#lastReset = { identity, before };
    try {
      if (!this.#device.opened) await this.#device.open(); // WebUSB resets only an opened device
      await withDeadline(
        this.#device.reset(),
        this.options.resetTimeoutMs,
        `${this.options.label}: USB reset did not finish within ${this.options.resetTimeoutMs} ms`,
      );
    } catch (error) {
      if (isGone(error)) {
        await this.#follow(identity, before, error);
      } else {
        try {
          await this.#device.close();
        } catch {
          // closing a half-broken device may fail; the open below reports what matters
        }
      }
    }
    await sleep(this.options.settleMs);
  }

  /** The stick re-enumerated: find its new `USBDevice` (serial, else bus/port, else the newcomer). */
  async #follow(identity: StickIdentity, before: ReadonlySet<USBDevice>, cause: unknown): Promise<void> {
    if (!this.options.usb) {
      throw new ReefError(
        'UNAVAILABLE',
        `${this.options.label}: the device is gone after a USB reset (unplugged, or re-enumerated as a new device and the driver was given no USB host to find it again)`,
        { reason: 'device-gone', cause },
      );
    }
    const next = await findSameStick(this.options.usb, this.#device, identity, before, {
      timeoutMs: this.options.reconnectTimeoutMs,
      label: this.options.label,
    });
    this.#device = next;
    this.usb.device = next;
  }

  /** Claims interface 0, retrying while the stick settles after a reset (protocol §6: ~1 s is normal). */
  async #claim(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await claimCoralInterface(this.#device);
        return;
      } catch (error) {
        const reset = this.#lastReset;
        this.#lastReset = undefined;
        if (isGone(error) && this.options.usb && reset) {
          // The old object died between reset and open: the stick is back under a new one.
          await this.#follow(reset.identity, reset.before, error);
          continue;
        }
        if (isGone(error) || attempt >= this.options.openRetries) throw this.#claimError(error);
        await sleep(this.options.openRetryDelayMs);
      }
    }
  }

  async #bringUp(): Promise<void> {
    await this.#claim();
    this.#lastReset = undefined;
    const speed = usbSpeedOf(this.#device);
    const small = (speed === 'high' || speed === 'full') && !this.options.forceLargestBulkInChunk;
    const report = await runOpenSequence(this.usb, {
      clock: this.options.clock,
      outfeedChunkUnits: small ? 0x20 : 0x80,
      descriptorEnable: this.#descriptors ? 0xff : 0xf0,
      pollTimeoutMs: this.options.pollTimeoutMs,
    });
    this.#info = {
      label: this.options.label,
      speed,
      clock: this.options.clock,
      efuseRevision: report.efuseRevision,
      outputChunkBytes: small ? 256 : 1024,
    };
    this.#cache.clear();
    const streams = new DeviceStreams(this.usb, {
      chunkBytes: small ? 256 : 1024,
      postedOutputReads: this.options.postedOutputReads,
      onInterrupt: (word) => this.#onInterrupt(word.topLevel),
    });
    this.#streams = streams;
    this.#storm.reset();
    streams.start();
    const dropped = await streams.drainStale(DRAIN_QUIET_MS, DRAIN_MAX_MS);
    if (dropped.bytes > 0 || dropped.events > 0) {
      this.#warn(`stale data from before this open dropped (${dropped.bytes} output bytes, ${dropped.events} events)`);
    }
  }

  #warn(text: string): void {
    this.warnings.push(text);
    if (this.warnings.length > MAX_WARNINGS) this.warnings.splice(0, this.warnings.length - MAX_WARNINGS);
  }

  #claimError(error: unknown): ReefError {
    if (error instanceof ReefError) return error;
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? error.message : String(error);
    if (name === 'NotFoundError') {
      return new ReefError('UNAVAILABLE', `${this.options.label}: the device is gone (${message})`, {
        reason: 'device-gone',
        cause: error,
      });
    }
    return new ReefError(
      'FAILED_PRECONDITION',
      `${this.options.label}: cannot open and claim the Coral (${name}: ${message}). Another program may hold it, or the ` +
        'OS denies access (Linux: udev rule for 18d1:9302 and 1a6e:089a; Windows: WinUSB driver).',
      { reason: 'no-permission', cause: error },
    );
  }

  /**
   * Top-level interrupts (§4.7): clear each at its source, then acknowledge it (interrupts.ts). A
   * thermal shutdown also fails the streams; its source is cleared before the recovery's reset.
   */
  #onInterrupt(topLevel: number[]): void {
    const streams = this.#streams;
    for (const k of topLevel) {
      if (k === TOP_LEVEL.thermalShutdown) {
        this.#shutdownPending = true;
        this.#warn(TOP_LEVEL_WARNINGS[k]!);
        continue;
      }
      const storm = this.#storm.fired(k);
      if (!storm) this.#warn(TOP_LEVEL_WARNINGS[k]!);
      this.#interrupts = this.#interrupts.then(async () => {
        if (this.#streams !== streams || this.#state !== 'open') return; // a reset clears it anyway
        try {
          if (storm) {
            await disableTopLevelInterrupt(this.usb, k);
            this.#warn(`${TOP_LEVEL_WARNINGS[k]} kept firing after being cleared; that interrupt is now disabled`);
          }
          await clearTopLevelInterrupt(this.usb, k);
        } catch {
          // Best effort: a chip that does not answer CSRs fails the next request, which recovers.
        }
      });
    }
  }

  /** Loads a compiled model (`*_edgetpu.tflite` bytes) or an already decoded program. */
  load(model: Uint8Array | TpuProgram): Promise<EdgeTpuModel> {
    return this.#enqueue(async () => {
      this.#usable();
      const { program, hasCpuOps } =
        model instanceof Uint8Array ? programFromModel(model) : { program: model, hasCpuOps: false };
      const loaded = new EdgeTpuModel(this, program, this.#slots++, hasCpuOps);
      if (!program.main.fullyDeterministic) await this.#enableDescriptors();
      return loaded;
    });
  }

  /**
   * §4.10: a model whose hints stop early needs the device to say what it wants next, which it does
   * only with descr_ep = 0xFF. Switched on between requests (the queue guarantees none is running)
   * and kept for this device from then on, recoveries included.
   */
  async #enableDescriptors(): Promise<void> {
    if (this.#descriptors) return;
    await writeCsr64(this.usb, CSR.descr_ep, 0xff);
    this.#descriptors = true;
  }

  #usable(): void {
    if (this.#state === 'open') return;
    if (this.#state === 'failed') {
      throw new ReefError(
        'UNAVAILABLE',
        `${this.options.label}: the Edge TPU is not usable${this.#failure ? ` (${this.#failure.message})` : ''}; replug it or reopen`,
        { reason: this.#failure?.reason === 'device-gone' ? 'device-gone' : 'device-failed', cause: this.#failure },
      );
    }
    throw new ReefError('FAILED_PRECONDITION', `${this.options.label}: the Edge TPU is ${this.#state}`, {
      reason: 'not-open',
    });
  }

  /** @internal called by EdgeTpuModel.run */
  runModel(model: EdgeTpuModel, inputs: Uint8Array[]): Promise<EdgeTpuTensor[]> {
    return this.#enqueue(async () => {
      this.#usable();
      const exe = model.program.main;
      if (inputs.length !== exe.inputLayers.length) {
        throw new ReefError(
          'INVALID_ARGUMENT',
          `the model takes ${exe.inputLayers.length} inputs, got ${inputs.length}`,
          {
            reason: 'bad-input-count',
          },
        );
      }
      exe.inputLayers.forEach((layer, i) => checkInput(layer, inputs[i]!, i));
      stageInputs(model.main, inputs);
      if (this.#streams?.failure) {
        // A posted read failed while idle (stall, fatal interrupt): reset and reopen before this request.
        const cause = this.#streams.failure;
        const outcome = await this.#afterFault(cause);
        if (this.#state !== 'open') throw outcome;
      }
      if (this.#streams && this.#streams.strayOutputBytes > 0) {
        // Output that came in after the previous request had returned belongs to no request: it
        // must not shift this one's bytes (the previous request's own check missed it).
        const { bytes } = this.#streams.discard();
        this.#warn(`${bytes} output bytes that arrived between requests were dropped`);
      }
      const before = { ...this.usb.counters };
      const nonDeterministic = !model.main.exe.fullyDeterministic;
      try {
        const pc = this.#cache.plan(model.program);
        if (pc && model.parameterCaching) {
          await this.#execute(model.parameterCaching);
          this.#cache.commit(pc);
          this.stats.parameterUploads++;
        }
        await this.#execute(model.main, nonDeterministic ? inputs : undefined);
        const outputs = exe.outputLayers.map((layer, i): EdgeTpuTensor => {
          const data = typedView(layer.dataType, gatherOutput(layer, model.main.outputBuffers[i]!));
          return { ...model.outputs[i]!, data };
        });
        this.stats.inferences++;
        return outputs;
      } catch (error) {
        this.stats.failures++;
        this.#cache.clear();
        throw await this.#afterFault(error);
      } finally {
        this.stats.bytesOut += this.usb.counters.bytesOut - before.bytesOut;
        this.stats.bytesIn += this.usb.counters.bytesIn - before.bytesIn;
        this.stats.transfers += this.usb.counters.transfers - before.transfers;
      }
    });
  }

  async #send(bytes: Uint8Array, what: string): Promise<void> {
    const max = this.options.maxBulkOutBytes;
    for (let at = 0; at < bytes.length; at += max) {
      await this.usb.transferOut(1, at === 0 && bytes.length <= max ? bytes : bytes.subarray(at, at + max), {
        context: `send ${what}`,
      });
    }
  }

  async #execute(prepared: PreparedExecutable, inputs?: readonly Uint8Array[]): Promise<void> {
    const streams = this.#streams!;
    const timeout = this.options.requestTimeoutMs;
    if (streams.strayOutputBytes > 0) {
      throw new ReefError(
        'DATA_LOSS',
        `${this.options.label}: ${streams.strayOutputBytes} output bytes arrived that no request asked for`,
        {
          reason: 'stray-output',
        },
      );
    }
    const ledger = this.#descriptors ? new DmaReportLedger(this.options.label) : undefined;
    for (const step of prepared.steps) {
      switch (step.kind) {
        case 'framed':
          await this.#send(step.bytes, step.what);
          break;
        case 'stream':
          await this.#send(step.header, `${step.what} header`);
          await this.#send(step.payload, step.what);
          break;
        case 'input':
          await this.#send(step.staging, step.what);
          break;
        case 'output':
          await streams.readOutput(
            prepared.outputBuffers[step.layer]!.subarray(step.offset, step.offset + step.size),
            step.what,
            timeout,
          );
          break;
        case 'scratch-in': {
          const framed = new Uint8Array(HEADER_BYTES + step.size);
          encodeHeader(step.size, TAG.inputActivations, framed);
          framed.set(prepared.scratch!.subarray(step.offset, step.offset + step.size), HEADER_BYTES);
          await this.#send(framed, step.what);
          break;
        }
        case 'scratch-out':
          await streams.readOutput(
            prepared.scratch!.subarray(step.offset, step.offset + step.size),
            step.what,
            timeout,
          );
          break;
        case 'interrupt':
          if (step.tag >= 0) await streams.waitEvent(step.tag, step.what, timeout);
          break;
      }
      if (ledger && step.kind !== 'interrupt' && step.report) ledger.expect(step.report, step.what);
    }
    // Descriptor mode: the reports may split or merge the hinted DMAs, but must cover each hinted byte.
    if (ledger) await ledger.settle(streams, timeout);
    if (!prepared.exe.fullyDeterministic) await this.#serveDevice(streams, prepared, inputs ?? []);
    await this.#accountOutput(streams);
  }

  /**
   * Issue 13: every byte on 0x81 must belong to an output of this request. Bytes beyond what its
   * hints (or the device's own requests) asked for mean the ones read may be shifted: the request
   * fails with DATA_LOSS before its result is returned. Waits one event-loop turn so that transfers
   * the device sent before its completion event have reached the queue.
   */
  async #accountOutput(streams: DeviceStreams): Promise<void> {
    await nextTask();
    const extra = streams.strayOutputBytes;
    if (extra > 0) {
      throw new ReefError(
        'DATA_LOSS',
        `${this.options.label}: the device sent ${extra} output bytes more than this request's outputs hold; its result is not trustworthy`,
        { reason: 'extra-output' },
      );
    }
  }

  /**
   * §4.10: the hints ran out; the device now names each DMA it wants on 0x82 (tags 1/2: send that
   * slice, tag 3: read it from 0x81) until its completion event. Addresses are the ones patched into
   * the instructions (§5.6), so each request resolves to one of this model's buffers.
   */
  async #serveDevice(
    streams: DeviceStreams,
    prepared: PreparedExecutable,
    inputs: readonly Uint8Array[],
  ): Promise<void> {
    const timeout = this.options.requestTimeoutMs;
    const packed = new Map<number, Uint8Array>();
    for (let served = 0; ; served++) {
      if (served > MAX_DEVICE_REQUESTS) {
        throw new ReefError(
          'DATA_LOSS',
          `${this.options.label}: the device asked for more than ${MAX_DEVICE_REQUESTS} DMAs in one request`,
          { reason: 'runaway-device-requests' },
        );
      }
      const ask = await streams.nextDeviceRequest(
        TAG.scalarCoreInterrupt0,
        'a device DMA request or the completion event',
        timeout,
      );
      if (!ask) return;
      const target = this.#deviceBuffer(prepared, ask, inputs, packed);
      const what = `device-requested ${target.what} [${target.offset}, +${ask.length})`;
      if (ask.tag === TAG.outputActivations) {
        await streams.readOutput(target.bytes.subarray(target.offset, target.offset + ask.length), what, timeout);
        continue;
      }
      const framed = new Uint8Array(HEADER_BYTES + ask.length);
      encodeHeader(ask.length, ask.tag === TAG.parameters ? TAG.parameters : TAG.inputActivations, framed);
      framed.set(target.bytes.subarray(target.offset, target.offset + ask.length), HEADER_BYTES);
      await this.#send(framed, what);
    }
  }

  /** The host buffer a device request addresses; anything else is a protocol violation. */
  #deviceBuffer(
    prepared: PreparedExecutable,
    ask: EventDescriptor,
    inputs: readonly Uint8Array[],
    packed: Map<number, Uint8Array>,
  ): { bytes: Uint8Array; offset: number; what: string } {
    const exe = prepared.exe;
    const bad = (why: string) =>
      new ReefError(
        'DATA_LOSS',
        `${this.options.label}: the device asked for tag ${ask.tag} at 0x${ask.address.toString(16)} (+${ask.length}): ${why}`,
        { reason: 'unexpected-descriptor' },
      );
    const hit = prepared.addresses.resolve(ask.address);
    if (!hit) throw bad('no buffer of this model has that address');
    // bufferKey() = kind:name:batch, and layer names may hold ':' themselves.
    const kind = hit.key.slice(0, hit.key.indexOf(':'));
    const name = hit.key.slice(kind.length + 1, hit.key.lastIndexOf(':'));
    let bytes: Uint8Array | undefined;
    if (ask.tag === TAG.parameters && kind === 'parameter') bytes = exe.parameters;
    else if (kind === 'scratch' && (ask.tag === TAG.inputActivations || ask.tag === TAG.outputActivations))
      bytes = prepared.scratch;
    else if (kind === 'input' && ask.tag === TAG.inputActivations) {
      const i = exe.inputLayers.findIndex((l) => l.name === name);
      if (i >= 0 && inputs[i]) {
        bytes = packed.get(i) ?? packInput(exe.inputLayers[i]!, inputs[i]!);
        packed.set(i, bytes);
      }
    } else if (kind === 'output' && ask.tag === TAG.outputActivations) {
      bytes = prepared.outputBuffers[exe.outputLayers.findIndex((l) => l.name === name)];
    }
    if (!bytes) throw bad(`a ${kind} buffer cannot serve that tag`);
    if (hit.offset + ask.length > bytes.length || ask.length <= 0)
      throw bad(`outside the ${bytes.length}-byte ${kind} buffer`);
    return { bytes, offset: hit.offset, what: kind === 'input' || kind === 'output' ? `${kind} ${name}` : kind };
  }

  /** After a failed request: reset + reopen (protocol §6) and say what happened. */
  async #afterFault(error: unknown): Promise<unknown> {
    if (!(error instanceof ReefError)) return error;
    if (error.code === 'INVALID_ARGUMENT') return error;
    if (isGone(error)) {
      this.#fail(error);
      return error;
    }
    let detail = '';
    await this.#interrupts;
    if (error.reason === 'fatal-interrupt') detail = await this.#hibErrors();
    if (this.#shutdownPending) detail += await this.#clearShutdown();
    if (!this.options.recover) {
      this.#fail(error);
      return error;
    }
    try {
      await this.#recover();
      return new ReefError(error.code, `${error.message}${detail}; the Edge TPU was reset and reopened`, {
        reason: error.reason ?? 'fault',
        cause: error,
      });
    } catch (recoveryError) {
      const gone = isGone(recoveryError);
      const failure = new ReefError(
        'UNAVAILABLE',
        `${error.message}${detail}; ${gone ? 'the device is gone' : `recovery failed: ${recoveryError instanceof Error ? recoveryError.message : String(recoveryError)}`}`,
        { reason: gone ? 'device-gone' : 'recovery-failed', cause: error },
      );
      this.#fail(failure);
      return failure;
    }
  }

  async #hibErrors(): Promise<string> {
    try {
      const status = await readCsr64(this.usb, CSR.hib_error_status);
      const first = await readCsr64(this.usb, CSR.hib_first_error_status);
      await writeCsr64(this.usb, CSR.fatal_err_int_status, 0);
      return ` (hib_error_status 0x${status.toString(16)}, first 0x${first.toString(16)})`;
    } catch {
      return ''; // the chip may not answer CSRs either; the reset below decides
    }
  }

  /** Thermal shutdown (§4.7): clear the latched flag in omc0_dc, then the status, before the reset. */
  async #clearShutdown(): Promise<string> {
    this.#shutdownPending = false;
    try {
      await clearTopLevelInterrupt(this.usb, TOP_LEVEL.thermalShutdown);
      return ' (thermal shutdown: let the stick cool down)';
    } catch {
      return ' (thermal shutdown)';
    }
  }

  #fail(error: ReefError): void {
    this.#streams?.stop();
    this.#streams = undefined;
    this.#state = 'failed';
    this.#failure = error;
  }

  async #recover(): Promise<void> {
    this.#state = 'recovering';
    this.#streams?.stop();
    this.#streams = undefined;
    this.#cache.clear();
    await this.#interrupts;
    try {
      await this.#device.releaseInterface(CORAL_INTERFACE); // rejects the posted reads
    } catch {
      // Already released or device in a bad state; the reset below is what matters.
    }
    // A failed reset falls back to close and reopen; a re-enumerated stick is found again.
    await this.#portReset();
    await this.#bringUp();
    this.stats.recoveries++;
    this.#state = 'open';
    this.#failure = undefined;
  }

  /** Resets and reopens on request (e.g. from the UI after a failure that was not recovered). */
  reopen(): Promise<void> {
    return this.#enqueue(async () => {
      try {
        await this.#recover();
      } catch (error) {
        const typed =
          error instanceof ReefError
            ? error
            : new ReefError('UNAVAILABLE', String(error), { reason: 'recovery-failed' });
        this.#fail(typed);
        throw typed;
      }
    });
  }

  /** Close sequence (§3.6), then releases the interface and closes the device. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state === 'closed') return;
      const wasOpen = this.#state === 'open';
      this.#state = 'closing';
      this.#streams?.stop();
      this.#streams = undefined;
      this.#cache.clear();
      try {
        await this.#device.releaseInterface(CORAL_INTERFACE); // §3.6 step 1: cancels the posted reads
      } catch {
        // not claimed (failed open) or device gone
      }
      if (wasOpen) {
        try {
          await runCloseSequence(this.usb, this.options.pollTimeoutMs);
        } catch {
          // Best effort: the next open resets the chip anyway (§3.6, libedgetpu's next open).
        }
      }
      try {
        await this.#device.close();
      } catch {
        // already closed or gone
      }
      this.#state = 'closed';
    });
  }
}

/** Opens an application-mode Coral (any `USBDevice`-shaped object) and returns the driver. */
export async function openEdgeTpu(device: UsbDeviceLike, options: EdgeTpuOptions = {}): Promise<EdgeTpu> {
  const tpu = new EdgeTpu(device, options);
  await tpu.open();
  return tpu;
}
