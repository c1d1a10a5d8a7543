/**
 * The device→host side of an open Edge TPU: reads kept posted on the output (0x81), event (0x82)
 * and interrupt (0x83) endpoints (protocol §3.5 step 32, §4.5–§4.7), their data queued for the
 * request loop, and waits with timeouts on top (WebUSB has none). A fatal interrupt or a failed
 * read fails every waiter with a typed error.
 */
import { ReefError } from '../../errors.ts';
import {
  ENDPOINT,
  EVENT_BYTES,
  INTERRUPT_BYTES,
  TOP_LEVEL_INTERRUPT_NAMES,
  decodeEvent,
  decodeInterrupt,
  type EventDescriptor,
} from '../usb/framing.ts';
import type { UsbTransport } from '../usb/transfer.ts';

interface Waiter {
  check: () => boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface StreamOptions {
  /** Size of each posted 0x81 read: 1024 (SuperSpeed) or 256 (USB 2) (§1.4). */
  chunkBytes: number;
  /** Reads kept posted on 0x81 (libedgetpu: 32; the capture: 8). */
  postedOutputReads: number;
  /** Called for interrupts that need a CSR look (fatal, thermal): the driver reads and clears status. */
  onInterrupt: (word: { fatal: boolean; topLevel: number[]; raw: number }) => void;
}

export class DeviceStreams {
  readonly #usb: UsbTransport;
  readonly #options: StreamOptions;
  #chunks: Uint8Array[] = [];
  #chunkOffset = 0;
  #events: number[] = [];
  /** DMA reports (tags 1–3), only sent in descriptor mode (descr_ep = 0xFF, §4.6). */
  #descriptors: EventDescriptor[] = [];
  #waiters = new Set<Waiter>();
  #failure: ReefError | undefined;
  #stopped = false;
  /** When 0x81 or 0x82 last delivered anything (for the stale-data drain after open). */
  #lastArrival = 0;

  constructor(usb: UsbTransport, options: StreamOptions) {
    this.#usb = usb;
    this.#options = options;
  }

  start(): void {
    for (let i = 0; i < this.#options.postedOutputReads; i++) this.#loopOutput();
    this.#loopEvents();
    this.#loopInterrupts();
  }

  /** Stops re-posting; reads still pending end when the interface is released or the device reset. */
  stop(): void {
    this.#stopped = true;
    this.#failAll(
      new ReefError('CANCELLED', `${this.#usb.label}: the device streams were stopped`, { reason: 'closed' }),
    );
  }

  get failure(): ReefError | undefined {
    return this.#failure;
  }

  /** Marks the streams failed (e.g. a fatal interrupt): every current and later wait rejects. */
  fail(error: ReefError): void {
    this.#failure ??= error;
    this.#failAll(error);
  }

  #failAll(error: ReefError): void {
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }

  #wake(): void {
    for (const waiter of this.#waiters) {
      if (waiter.check()) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * A posted read that timed out after a long wait is not a fault (libedgetpu re-posts it, §6): some
   * hosts (node-usb) put their own timeout on every transfer. Anything quick or else fails the streams.
   */
  #idleTimeout(error: unknown, startedAt: number): boolean {
    const message = error instanceof Error ? error.message : String(error);
    return performance.now() - startedAt >= 100 && /timed? ?out|timeout/i.test(message);
  }

  #onReadError(error: unknown, what: string): void {
    if (this.#stopped) return;
    const typed =
      error instanceof ReefError
        ? error
        : new ReefError('UNAVAILABLE', `${this.#usb.label}: ${what} failed: ${String(error)}`, {
            reason: 'transfer-failed',
          });
    this.fail(typed);
  }

  #loopOutput(): void {
    if (this.#stopped || this.#failure) return;
    const startedAt = performance.now();
    this.#usb.postedIn(ENDPOINT.outputIn, this.#options.chunkBytes, { context: 'output read (0x81)' }).then(
      (data) => {
        if (this.#stopped) return;
        this.#lastArrival = performance.now();
        if (data.length > 0) this.#chunks.push(data);
        this.#loopOutput();
        this.#wake();
      },
      (error: unknown) =>
        this.#idleTimeout(error, startedAt) ? this.#loopOutput() : this.#onReadError(error, 'output read (0x81)'),
    );
  }

  #loopEvents(): void {
    if (this.#stopped || this.#failure) return;
    const startedAt = performance.now();
    this.#usb.postedIn(ENDPOINT.eventIn, EVENT_BYTES, { context: 'event read (0x82)' }).then(
      (data) => {
        if (this.#stopped) return;
        this.#lastArrival = performance.now();
        try {
          const event = decodeEvent(data);
          if (event.tag >= 1 && event.tag <= 3) this.#descriptors.push(event);
          else this.#events.push(event.tag);
        } catch (error) {
          this.#onReadError(error, 'event read (0x82)');
          return;
        }
        this.#loopEvents();
        this.#wake();
      },
      (error: unknown) =>
        this.#idleTimeout(error, startedAt) ? this.#loopEvents() : this.#onReadError(error, 'event read (0x82)'),
    );
  }

  #loopInterrupts(): void {
    if (this.#stopped || this.#failure) return;
    const startedAt = performance.now();
    this.#usb.postedIn(ENDPOINT.interruptIn, INTERRUPT_BYTES, { context: 'interrupt read (0x83)' }, 'interrupt').then(
      (data) => {
        if (this.#stopped) return;
        let word;
        try {
          word = decodeInterrupt(data);
        } catch (error) {
          this.#onReadError(error, 'interrupt read (0x83)');
          return;
        }
        this.#options.onInterrupt(word);
        if (word.fatal || word.topLevel.includes(0)) {
          const names = word.topLevel.map((k) => TOP_LEVEL_INTERRUPT_NAMES[k]).join(', ');
          this.fail(
            new ReefError(
              'INTERNAL',
              `${this.#usb.label}: the Edge TPU raised ${word.fatal ? 'a fatal error interrupt' : ''}${word.fatal && names ? ' and ' : ''}${names}`,
              { reason: 'fatal-interrupt' },
            ),
          );
          return;
        }
        this.#loopInterrupts();
      },
      (error: unknown) =>
        this.#idleTimeout(error, startedAt)
          ? this.#loopInterrupts()
          : this.#onReadError(error, 'interrupt read (0x83)'),
    );
  }

  #wait(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new ReefError('DEADLINE_EXCEEDED', `${this.#usb.label}: ${what} did not arrive within ${timeoutMs} ms`, {
            reason: 'timeout',
          }),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  get #available(): number {
    let n = -this.#chunkOffset;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /** Fills `into` completely from the 0x81 stream, in order (§4.5, §10 #1: short chunks may come mid-output). */
  async readOutput(into: Uint8Array, what: string, timeoutMs: number): Promise<void> {
    let filled = 0;
    while (filled < into.length) {
      if (this.#chunks.length === 0) {
        await this.#wait(() => this.#chunks.length > 0, what, timeoutMs);
      }
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.length - this.#chunkOffset, into.length - filled);
      into.set(chunk.subarray(this.#chunkOffset, this.#chunkOffset + take), filled);
      filled += take;
      this.#chunkOffset += take;
      if (this.#chunkOffset === chunk.length) {
        this.#chunks.shift();
        this.#chunkOffset = 0;
      }
    }
  }

  /** Waits for an event with this tag (§4.6, §10 #3: match by tag, not by position). */
  async waitEvent(tag: number, what: string, timeoutMs: number): Promise<void> {
    const take = () => {
      const i = this.#events.indexOf(tag);
      if (i < 0) return false;
      this.#events.splice(i, 1);
      return true;
    };
    if (take()) return;
    let taken = false;
    await this.#wait(
      () => {
        taken = take();
        return taken;
      },
      what,
      timeoutMs,
    );
  }

  /** The next DMA report with this tag (descriptor mode), in arrival order. */
  async takeDescriptor(tag: number, what: string, timeoutMs: number): Promise<EventDescriptor> {
    let found: EventDescriptor | undefined;
    const take = () => {
      const i = this.#descriptors.findIndex((d) => d.tag === tag);
      if (i < 0) return false;
      found = this.#descriptors.splice(i, 1)[0];
      return true;
    };
    if (!take()) await this.#wait(take, what, timeoutMs);
    return found!;
  }

  /**
   * Device-driven phase of a non-deterministic request (§4.10): the next DMA the device asks for, or
   * `undefined` once the completion event with `doneTag` arrived. Reports come in order on 0x82 and the
   * completion event is the device's last word, so pending reports are served before it.
   */
  async nextDeviceRequest(doneTag: number, what: string, timeoutMs: number): Promise<EventDescriptor | undefined> {
    let found: EventDescriptor | undefined;
    let done = false;
    const take = () => {
      found = this.#descriptors.shift();
      if (found) return true;
      const i = this.#events.indexOf(doneTag);
      if (i < 0) return false;
      this.#events.splice(i, 1);
      done = true;
      return true;
    };
    if (!take()) await this.#wait(take, what, timeoutMs);
    return done ? undefined : found;
  }

  /** DMA reports nobody consumed (descriptor mode). */
  get pendingDescriptors(): number {
    return this.#descriptors.length;
  }

  /**
   * Drops whatever the device sends before the first request (protocol §2.3: a stick a crashed tab
   * left mid-request may still hold output and events of that request). Waits until 0x81 and 0x82
   * stay quiet for `quietMs`; a device that keeps talking for `maxMs` is a DATA_LOSS, not a hang.
   */
  async drainStale(quietMs: number, maxMs: number): Promise<{ bytes: number; events: number }> {
    const started = performance.now();
    for (;;) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      // A read that failed here is repaired before the next request, like any failure while idle.
      if (this.#failure || this.#lastArrival < before) break;
      if (performance.now() - started > maxMs) {
        throw new ReefError(
          'DATA_LOSS',
          `${this.#usb.label}: the device kept sending output or events for ${maxMs} ms after it was opened, with no request running`,
          { reason: 'stale-output' },
        );
      }
    }
    return this.discard();
  }

  /** Forgets every byte, event and DMA report queued (they belong to no request). */
  discard(): { bytes: number; events: number } {
    const dropped = { bytes: this.#available, events: this.#events.length + this.#descriptors.length };
    this.#chunks = [];
    this.#chunkOffset = 0;
    this.#events = [];
    this.#descriptors = [];
    return dropped;
  }

  /** Bytes received on 0x81 that no output claimed (a protocol mismatch if non-zero between requests). */
  get strayOutputBytes(): number {
    return this.#available;
  }
}
