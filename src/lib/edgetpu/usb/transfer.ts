/**
 * Every transfer the driver makes goes through here: WebUSB has no timeouts, so each call gets
 * one; WebUSB outcomes (`stall`, `babble`, short reads, thrown DOMExceptions) become `ReefError`s
 * once, with a context string naming what the driver was doing; and every transfer can be traced.
 */
import { withDeadline } from '../../deadline.ts';
import { ReefError } from '../../errors.ts';
import { toHex, type TraceRecord, type TraceSink } from './trace.ts';
import type { UsbDeviceLike } from './device.ts';

export interface TransportOptions {
  /** Name used in error messages, e.g. `usb:0`. */
  label?: string;
  /** Default timeout of one transfer (protocol §6: libedgetpu uses 6000 ms). */
  timeoutMs?: number;
  trace?: { sink: TraceSink; dataLimitBytes: number } | undefined;
}

export interface ControlSetup {
  requestType: USBRequestType;
  recipient: USBRecipient;
  request: number;
  value: number;
  index: number;
}

/** Extra facts a caller adds to a transfer: the context string and an optional timeout. */
export interface TransferContext {
  context: string;
  timeoutMs?: number;
}

export const DEFAULT_TRANSFER_TIMEOUT_MS = 6000;

/**
 * node-usb's WebUSB methods take an extra timeout argument (default 1000 ms, after which a posted
 * read fails); browsers and the emulator ignore extra arguments. Our own timers decide, so node-usb
 * gets our timeout, and reads that must stay posted get the longest one it accepts.
 */
const NODE_USB_LONGEST_TIMEOUT_MS = 0x7fffffff;

type WithTimeout = {
  controlTransferIn(
    setup: USBControlTransferParameters,
    length: number,
    timeoutMs?: number,
  ): Promise<USBInTransferResult>;
  controlTransferOut(
    setup: USBControlTransferParameters,
    data?: BufferSource,
    timeoutMs?: number,
  ): Promise<USBOutTransferResult>;
  transferIn(endpoint: number, length: number, timeoutMs?: number): Promise<USBInTransferResult>;
  transferOut(endpoint: number, data: BufferSource, timeoutMs?: number): Promise<USBOutTransferResult>;
};

/** Bytes moved, for the benchmark's "bytes on the bus" figure. */
export interface TransferCounters {
  bytesOut: number;
  bytesIn: number;
  transfers: number;
}

export class UsbTransport {
  device: UsbDeviceLike;
  readonly label: string;
  timeoutMs: number;
  trace: TransportOptions['trace'];
  readonly counters: TransferCounters = { bytesOut: 0, bytesIn: 0, transfers: 0 };

  constructor(device: UsbDeviceLike, options: TransportOptions = {}) {
    this.device = device;
    this.label = options.label ?? 'edgetpu';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS;
    this.trace = options.trace;
  }

  get #native(): WithTimeout {
    return this.device as unknown as WithTimeout;
  }

  /** node-usb's own timeout: a little after ours, so ours fires first and names the transfer. */
  #nativeTimeout(ctx: TransferContext): number {
    return (ctx.timeoutMs ?? this.timeoutMs) + 1000;
  }

  async controlIn(setup: ControlSetup, length: number, ctx: TransferContext): Promise<Uint8Array> {
    const result = await this.#guard(this.#native.controlTransferIn(setup, length, this.#nativeTimeout(ctx)), ctx, {
      dir: 'in',
      type: 'control',
      setup,
      length,
    });
    const data = this.#checkIn(result, ctx, { dir: 'in', type: 'control', setup, length });
    if (data.length !== length && setup.requestType === 'vendor') {
      throw new ReefError(
        'DATA_LOSS',
        `${this.label}: ${ctx.context} returned ${data.length} bytes, expected ${length}`,
        { reason: 'short-read' },
      );
    }
    return data;
  }

  async controlOut(setup: ControlSetup, data: Uint8Array | undefined, ctx: TransferContext): Promise<void> {
    const length = data?.length ?? 0;
    const base = { dir: 'out' as const, type: 'control' as const, setup, length };
    const result = await this.#guard(
      data === undefined
        ? // An empty buffer rather than none: node-usb's WebUSB cannot take a missing data argument.
          this.#native.controlTransferOut(setup, new Uint8Array(0), this.#nativeTimeout(ctx))
        : this.#native.controlTransferOut(setup, data as Uint8Array<ArrayBuffer>, this.#nativeTimeout(ctx)),
      ctx,
      base,
    );
    this.#checkOut(result, ctx, base, data);
  }

  async transferIn(
    endpoint: number,
    length: number,
    ctx: TransferContext,
    type: 'bulk' | 'interrupt' = 'bulk',
  ): Promise<Uint8Array> {
    const base = { dir: 'in' as const, type, endpoint, length };
    const result = await this.#guard(this.#native.transferIn(endpoint, length, this.#nativeTimeout(ctx)), ctx, base);
    return this.#checkIn(result, ctx, base);
  }

  /** An IN transfer with no timeout: the posted reads of protocol §3.5 step 32 wait as long as needed. */
  async postedIn(endpoint: number, length: number, ctx: TransferContext, type: 'bulk' | 'interrupt' = 'bulk') {
    const base = { dir: 'in' as const, type, endpoint, length };
    let result: USBInTransferResult;
    try {
      result = await this.#native.transferIn(endpoint, length, NODE_USB_LONGEST_TIMEOUT_MS);
    } catch (error) {
      throw this.#thrown(error, ctx, base);
    }
    return this.#checkIn(result, ctx, base);
  }

  async transferOut(endpoint: number, data: Uint8Array, ctx: TransferContext): Promise<void> {
    const base = { dir: 'out' as const, type: 'bulk' as const, endpoint, length: data.length };
    const result = await this.#guard(
      this.#native.transferOut(endpoint, data as Uint8Array<ArrayBuffer>, this.#nativeTimeout(ctx)),
      ctx,
      base,
    );
    this.#checkOut(result, ctx, base, data);
  }

  #record(base: Omit<TraceRecord, 't' | 'status'>, status: string, ctx: TransferContext, extra: Partial<TraceRecord>) {
    const trace = this.trace;
    if (!trace) return;
    trace.sink({ t: performance.now(), ...base, status, context: ctx.context, ...extra });
  }

  #data(bytes: Uint8Array): Partial<TraceRecord> {
    const limit = this.trace?.dataLimitBytes ?? 0;
    const out: Partial<TraceRecord> = { data: toHex(bytes, limit) };
    if (bytes.length > limit) out.truncated = true;
    return out;
  }

  async #guard<T>(promise: Promise<T>, ctx: TransferContext, base: Omit<TraceRecord, 't' | 'status'>): Promise<T> {
    const timeoutMs = ctx.timeoutMs ?? this.timeoutMs;
    try {
      // WebUSB cannot cancel one transfer: after the deadline it stays pending until reset/close.
      return await withDeadline(
        promise,
        timeoutMs,
        `${this.label}: ${ctx.context} timed out after ${timeoutMs} ms`,
        'timeout',
        () => this.#record(base, 'timeout', ctx, {}),
      );
    } catch (error) {
      if (error instanceof ReefError) throw error;
      throw this.#thrown(error, ctx, base);
    }
  }

  #thrown(error: unknown, ctx: TransferContext, base: Omit<TraceRecord, 't' | 'status'>): ReefError {
    const message = error instanceof Error ? error.message : String(error);
    const name = error instanceof Error ? error.name : '';
    this.#record(base, 'error', ctx, { error: `${name}: ${message}` });
    if (name === 'AbortError') {
      return new ReefError('CANCELLED', `${this.label}: ${ctx.context} was cancelled (${message})`, {
        reason: 'cancelled',
        cause: error,
      });
    }
    if (name === 'NotFoundError' || /disconnect|no device|not found|LIBUSB_ERROR_NO_DEVICE/i.test(message)) {
      return new ReefError('UNAVAILABLE', `${this.label}: device gone during ${ctx.context} (${message})`, {
        reason: 'device-gone',
        cause: error,
      });
    }
    if (name === 'SecurityError' || /access denied|LIBUSB_ERROR_ACCESS|permission/i.test(message)) {
      return new ReefError('FAILED_PRECONDITION', `${this.label}: no permission for ${ctx.context} (${message})`, {
        reason: 'no-permission',
        cause: error,
      });
    }
    if (name === 'InvalidStateError') {
      return new ReefError('FAILED_PRECONDITION', `${this.label}: ${ctx.context}: ${message}`, {
        reason: 'invalid-state',
        cause: error,
      });
    }
    return new ReefError('UNAVAILABLE', `${this.label}: ${ctx.context} failed (${name}: ${message})`, {
      reason: 'transfer-failed',
      cause: error,
    });
  }

  #status(status: USBTransferStatus | undefined, ctx: TransferContext): void {
    if (status === 'ok' || status === undefined) return;
    if (status === 'stall') {
      throw new ReefError('UNAVAILABLE', `${this.label}: ${ctx.context} stalled`, { reason: 'stall' });
    }
    throw new ReefError('DATA_LOSS', `${this.label}: ${ctx.context} overflowed (babble)`, { reason: 'babble' });
  }

  #checkIn(result: USBInTransferResult, ctx: TransferContext, base: Omit<TraceRecord, 't' | 'status'>): Uint8Array {
    const view = result.data;
    const data = view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0);
    if (this.trace) this.#record(base, result.status ?? 'ok', ctx, this.#data(data));
    this.#status(result.status, ctx);
    this.counters.bytesIn += data.length;
    this.counters.transfers++;
    return data;
  }

  #checkOut(
    result: USBOutTransferResult,
    ctx: TransferContext,
    base: Omit<TraceRecord, 't' | 'status'>,
    data: Uint8Array | undefined,
  ): void {
    if (this.trace) this.#record(base, result.status ?? 'ok', ctx, data ? this.#data(data) : {});
    this.#status(result.status, ctx);
    const length = data?.length ?? 0;
    if (result.bytesWritten !== length) {
      throw new ReefError(
        'DATA_LOSS',
        `${this.label}: ${ctx.context} wrote ${result.bytesWritten} of ${length} bytes`,
        { reason: 'short-write' },
      );
    }
    this.counters.bytesOut += length;
    this.counters.transfers++;
  }
}
