/**
 * The application personality (18d1:9302) of the virtual Coral: CSRs over EP0, the framed byte
 * stream on EP 0x01, outputs on 0x81, events on 0x82, interrupts on 0x83 — checked against the
 * programs a test registered, with every invariant of protocol §8 #7–#18 enforced.
 */
import { CsrModel } from './csr-model.ts';
import { encodeEvent, encodeInterruptWord, decodeHeader, EVENT_BYTES, TAG } from './device-framing.ts';
import { actualBytes, scatterOutput, unpackInput } from './device-layout.ts';
import { CSR } from './device-registers.ts';
import { bufferKey, type EmulatedModel, type ModelExecutable, type ModelHint } from './executable-model.ts';
import { EmulatorProtocolError } from './errors.ts';
import { InterruptSources } from './interrupt-sources.ts';

/** A model's CPU twin: user-order input tensors by layer name → user-order output tensors. */
export type ComputeFn = (
  inputs: ReadonlyMap<string, Uint8Array>,
) => ReadonlyMap<string, Uint8Array> | Promise<ReadonlyMap<string, Uint8Array>>;

export interface RegisteredProgram {
  name: string;
  /** The model as the emulator read it (executable-model.ts), never the driver's decoding. */
  program: EmulatedModel;
  compute: ComputeFn | undefined;
}

export interface AppStats {
  requests: number;
  parameterCachingRuns: number;
  /** Per program name: how many times its parameter-caching executable ran. */
  parameterUploads: Map<string, number>;
  /** PC uploads for an executable that was already cached (performance bug, §8 #13). */
  redundantParameterUploads: number;
  /** Bytes of parameters, instructions and inputs checked equal to the model's. */
  verifiedParameterBytes: number;
  verifiedInstructionBytes: number;
  inputBytes: number;
  outputBytes: number;
  eventsSent: number;
  /** DMAs the device asked for itself (non-deterministic executables, §4.10). */
  deviceRequests: number;
}

/** One DMA the device asks for after the hints ran out (§4.10). */
interface DeviceAsk {
  tag: 1 | 2 | 3;
  buffer: 'input' | 'parameter' | 'scratch' | 'output';
  name: string;
  offset: number;
  size: number;
}

interface Request {
  /** Buffer addresses read from the relocated instruction fields (§5.6), for DMA reports. */
  addresses: Map<string, { lo: number; hi: number }>;
  owner: RegisteredProgram;
  exe: ModelExecutable;
  next: number;
  buffers: Map<string, Uint8Array>;
  outputs: Map<string, Uint8Array> | undefined;
  chain: Promise<void>;
  /** Non-deterministic executables: what the device still asks for once the hints ran out. */
  script: DeviceAsk[] | undefined;
  /** The host→device DMA the device announced and waits for. */
  awaiting: DeviceAsk | undefined;
}

interface PendingRead {
  length: number;
  resolve: (result: USBInTransferResult) => void;
  reject: (error: unknown) => void;
}

export interface AppHooks {
  /** Next completion events to drop (fault injection). */
  dropEvents: () => boolean;
  /** Extra compute time per inference (latency model). */
  inferenceDelay: () => Promise<void>;
  violation: (message: string) => void;
  wedge: (why: string) => void;
}

const key = (name: string, batch: number) => `${name}#${batch}`;

/** Bits of a chunk the host may change: the relocated address fields (§5.6, §10 #7). */
function patchMask(exe: ModelExecutable, chunk: number): Uint8Array {
  const c = exe.chunks[chunk]!;
  const mask = new Uint8Array(c.bitstream.length);
  for (const f of c.fieldOffsets) {
    for (let b = f.offsetBit; b < f.offsetBit + 32; b++) mask[b >> 3]! |= 1 << (b & 7);
  }
  return mask;
}

export class AppFunction {
  readonly csr = new CsrModel();
  readonly programs: RegisteredProgram[] = [];
  readonly stats: AppStats = AppFunction.emptyStats();
  /** User-order inputs and outputs of the last inference, for tests. */
  lastInputs = new Map<string, Uint8Array>();
  lastOutputs = new Map<string, Uint8Array>();
  /** Parameter cache on the chip (§4.8 from the device's side). */
  cachedToken = '0';
  readonly cachedSet = new Set<ModelExecutable>();
  firmwareVariant: 'single-ep' | 'multi-ep' = 'single-ep';
  /** Latched sources of the top-level interrupts (§4.7). */
  readonly interrupts = new InterruptSources(this.csr);
  /**
   * Fault injection (issue 13): the next `count` requests send extra bytes on 0x81 mid-output: a
   * stray 64-byte transfer after the first chunk, or the first chunk twice.
   */
  outputFault: { kind: 'extra' | 'duplicate'; count: number } | undefined;
  /** Fault injection: descriptor-mode DMA reports of 128 bytes or more come as two reports. */
  reportShape: 'split' | undefined;
  /** Reports split so far (so a test knows the shape really differed from the hints). */
  reshapedReports = 0;
  /**
   * Output and events a crashed host left in the USB bridge's FIFOs: a core reset (the open
   * sequence) keeps them, only a port reset drops them (issue 12).
   */
  #staleOut: Uint8Array[] = [];
  #staleEvents: Uint8Array[] = [];

  readonly #hooks: AppHooks;
  readonly #masks = new WeakMap<ModelExecutable, { expected: Uint32Array; keep: Uint32Array; length: number }[]>();
  #header = new Uint8Array(8);
  #headerFill = 0;
  #tag = 0;
  #remaining = 0;
  #parts: Uint8Array[] = [];
  #current: Request | undefined;
  #previous: Request | undefined;
  #outQueue: Uint8Array[] = [];
  #outReads: PendingRead[] = [];
  #events: Uint8Array[] = [];
  #eventReads: PendingRead[] = [];
  #interruptReads: PendingRead[] = [];
  #interruptWords: Uint8Array[] = [];
  #producing = 0;

  constructor(hooks: AppHooks) {
    this.#hooks = hooks;
    this.csr.busy = () => this.#current !== undefined || this.#producing > 0;
    this.csr.onHaltWhileBusy = () => hooks.wedge('run control set to halt while a request was pending');
    this.csr.onCoreReset = () => this.#dropStreams();
  }

  static emptyStats(): AppStats {
    return {
      requests: 0,
      parameterCachingRuns: 0,
      parameterUploads: new Map(),
      redundantParameterUploads: 0,
      verifiedParameterBytes: 0,
      verifiedInstructionBytes: 0,
      inputBytes: 0,
      outputBytes: 0,
      eventsSent: 0,
      deviceRequests: 0,
    };
  }

  /** Port reset: core back in reset, cached parameters gone, streams dropped (§8 #5). */
  reset(error: unknown): void {
    this.#staleOut = [];
    this.#staleEvents = [];
    this.csr.reset();
    this.#dropStreams();
    this.abortReads(error);
  }

  #dropStreams(): void {
    this.cachedToken = '0';
    this.cachedSet.clear();
    this.#headerFill = 0;
    this.#remaining = 0;
    this.#parts = [];
    this.#current = undefined;
    this.#previous = undefined;
    this.#outQueue = [];
    this.#events = [];
    this.#interruptWords = [];
  }

  abortReads(error: unknown): void {
    for (const list of [this.#outReads, this.#eventReads, this.#interruptReads]) {
      for (const read of list.splice(0)) read.reject(error);
    }
  }

  // ---- EP0: CSRs (§3.1, §8 #7)

  controlIn(setup: USBControlTransferParameters, length: number): USBInTransferResult {
    const { offset, width } = this.#csrSetup(setup, length, 0xc0);
    const value = this.csr.read(offset, width);
    const data = new DataView(new ArrayBuffer(length));
    if (width === 64) data.setBigUint64(0, value, true);
    else data.setUint32(0, Number(value & 0xffffffffn), true);
    return { status: 'ok', data } as USBInTransferResult;
  }

  controlOut(setup: USBControlTransferParameters, data: Uint8Array): USBOutTransferResult {
    const { offset, width } = this.#csrSetup(setup, data.length, 0x40);
    const view = new DataView(data.buffer, data.byteOffset, data.length);
    const value = width === 64 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true));
    if (offset === CSR.multi_bo_ep && value !== (this.firmwareVariant === 'multi-ep' ? 1n : 0n)) {
      throw new EmulatorProtocolError(`multi_bo_ep = ${value} does not match the ${this.firmwareVariant} firmware`);
    }
    const before = this.csr.values.get(offset) ?? 0n;
    this.csr.write(offset, width, value);
    const again = this.interrupts.afterWrite(offset, value, before);
    if (again !== undefined) this.#queueInterruptWord(1 << (again + 1));
    return { status: 'ok', bytesWritten: data.length } as USBOutTransferResult;
  }

  #csrSetup(setup: USBControlTransferParameters, length: number, bmRequestType: number) {
    if (setup.requestType !== 'vendor' || setup.recipient !== 'device') {
      throw new EmulatorProtocolError(
        `control request ${setup.requestType}/${setup.recipient} ${setup.request} in app mode (only vendor/device 0x${bmRequestType.toString(16)})`,
      );
    }
    if (setup.request !== 0 && setup.request !== 1) throw new EmulatorProtocolError(`vendor bRequest ${setup.request}`);
    const width = setup.request === 0 ? 64 : 32;
    if (length !== width / 8)
      throw new EmulatorProtocolError(`bRequest ${setup.request} needs wLength ${width / 8}, got ${length}`);
    return { offset: (setup.index << 16) | setup.value, width } as const;
  }

  // ---- EP 0x01: the framed stream (§4.3, §8 #11–#14)

  /** Accepts one bulk OUT transfer; arbitrary boundaries (§8 #11). */
  bulkOut(data: Uint8Array): void {
    const reason = this.csr.notReadyReason();
    if (reason) {
      this.#hooks.wedge(`bulk OUT before the open sequence finished: ${reason}`);
      return;
    }
    let at = 0;
    while (at < data.length) {
      if (this.#remaining === 0) {
        const take = Math.min(8 - this.#headerFill, data.length - at);
        this.#header.set(data.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < 8) break;
        this.#headerFill = 0;
        const header = decodeHeader(this.#header);
        this.#tag = header.tag;
        this.#remaining = header.length;
        this.#parts = [];
        continue;
      }
      const take = Math.min(this.#remaining, data.length - at);
      this.#parts.push(data.subarray(at, at + take)); // the device already copied the transfer
      this.#remaining -= take;
      at += take;
      if (this.#remaining === 0) this.#item(this.#tag, this.#joinParts());
    }
  }

  #joinParts(): Uint8Array {
    if (this.#parts.length === 1) return this.#parts[0]!;
    const total = this.#parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Per chunk: the model's bytes with the address fields cleared, and the keep-mask, as 32-bit words. */
  #masksOf(exe: ModelExecutable): { expected: Uint32Array; keep: Uint32Array; length: number }[] {
    let masks = this.#masks.get(exe);
    if (!masks) {
      masks = exe.chunks.map((chunk, i) => {
        const words = Math.ceil(chunk.bitstream.length / 4);
        const keep = new Uint8Array(words * 4);
        const patch = patchMask(exe, i);
        for (let b = 0; b < chunk.bitstream.length; b++) keep[b] = ~patch[b]! & 0xff;
        const expected = new Uint8Array(words * 4);
        for (let b = 0; b < chunk.bitstream.length; b++) expected[b] = chunk.bitstream[b]! & keep[b]!;
        return {
          expected: new Uint32Array(expected.buffer),
          keep: new Uint32Array(keep.buffer),
          length: chunk.bitstream.length,
        };
      });
      this.#masks.set(exe, masks);
    }
    return masks;
  }

  #sameInstructions(exe: ModelExecutable, chunk: number, bytes: Uint8Array): boolean {
    const m = this.#masksOf(exe)[chunk];
    if (!m || m.length !== bytes.length) return false;
    // Word-wise when the payload is 4-byte aligned (it is: a header precedes it), else byte-wise.
    const full = bytes.length >> 2;
    if (bytes.byteOffset % 4 === 0) {
      const got = new Uint32Array(bytes.buffer, bytes.byteOffset, full);
      for (let w = 0; w < full; w++) if ((got[w]! & m.keep[w]!) >>> 0 !== m.expected[w]) return false;
    } else {
      const keep = new Uint8Array(m.keep.buffer);
      const expected = new Uint8Array(m.expected.buffer);
      for (let b = 0; b < full * 4; b++) if ((bytes[b]! & keep[b]!) !== expected[b]) return false;
    }
    const keep = new Uint8Array(m.keep.buffer);
    const expected = new Uint8Array(m.expected.buffer);
    for (let b = full * 4; b < bytes.length; b++) if ((bytes[b]! & keep[b]!) !== expected[b]) return false;
    return true;
  }

  #identify(bytes: Uint8Array): { owner: RegisteredProgram; exe: ModelExecutable } | undefined {
    for (const owner of this.programs) {
      for (const exe of [owner.program.parameterCaching, owner.program.main]) {
        if (!exe) continue;
        const first = exe.hints.find((h) => h.kind === 'instruction');
        const chunk = first?.kind === 'instruction' ? first.chunk : 0;
        if (this.#sameInstructions(exe, chunk, bytes)) return { owner, exe };
      }
    }
    return undefined;
  }

  #item(tag: number, payload: Uint8Array): void {
    const identified = !this.#current;
    if (identified) this.#begin(tag, payload);
    const request = this.#current;
    if (!request) return;
    if (request.script) {
      this.#acceptAsked(request, tag, payload);
      this.#runScript(request);
      return;
    }
    const hint = request.exe.hints[request.next];
    if (!hint)
      throw new EmulatorProtocolError(`data (tag ${tag}, ${payload.length} bytes) after the request's last hint`);
    // The first chunk was compared with the model while identifying the executable.
    this.#accept(request, hint, tag, payload, identified);
    request.next++;
    this.#advance(request);
  }

  #begin(tag: number, payload: Uint8Array): void {
    if (tag !== TAG.instructions) {
      throw new EmulatorProtocolError(
        `a request must start with instructions, got tag ${tag} (${payload.length} bytes)`,
      );
    }
    const prev = this.#previous;
    if (this.#producing > 0 || this.#outQueue.length > 0) {
      throw new EmulatorProtocolError(
        `new instructions while ${this.#outQueue.reduce((n, c) => n + c.length, 0)} output bytes of the previous request are unread` +
          (prev ? ` (${prev.owner.name})` : ''),
      );
    }
    const found = this.#identify(payload);
    if (!found) {
      this.#hooks.wedge(`instruction stream of ${payload.length} bytes matches no registered executable`);
      return;
    }
    const { owner, exe } = found;
    // §4.8 / §8 #12–#13 from the device's side.
    if (exe.kind === 'parameter-caching') {
      if (exe.token !== this.cachedToken) {
        this.cachedToken = exe.token;
        this.cachedSet.clear();
      }
      if (this.cachedSet.has(exe)) this.stats.redundantParameterUploads++;
      this.cachedSet.add(exe);
      this.stats.parameterCachingRuns++;
      this.stats.parameterUploads.set(owner.name, (this.stats.parameterUploads.get(owner.name) ?? 0) + 1);
    } else if (exe.kind === 'execution-only') {
      const pc = owner.program.parameterCaching;
      if (exe.token !== this.cachedToken || (pc && !this.cachedSet.has(pc))) {
        this.#hooks.wedge(`EXECUTION_ONLY of ${owner.name} sent without its parameters cached (token ${exe.token})`);
        return;
      }
    } else {
      this.cachedToken = '0';
      this.cachedSet.clear();
    }
    this.stats.requests++;
    const request: Request = {
      addresses: new Map(),
      owner,
      exe,
      next: 0,
      buffers: new Map(),
      outputs: undefined,
      chain: Promise.resolve(),
      script: undefined,
      awaiting: undefined,
    };
    for (const layer of exe.inputLayers)
      request.buffers.set(key(layer.name, 0), new Uint8Array(layer.sizeBytes * layer.executionCount));
    this.#current = request;
    this.#previous = request;
    this.#advance(request);
  }

  #accept(request: Request, hint: ModelHint, tag: number, payload: Uint8Array, compared = false): void {
    const where = `${request.owner.name} ${request.exe.kind} hint ${request.next}`;
    if (hint.kind === 'instruction') {
      if (tag !== TAG.instructions)
        throw new EmulatorProtocolError(`${where}: expected instruction chunk ${hint.chunk}, got tag ${tag}`);
      if (!compared && !this.#sameInstructions(request.exe, hint.chunk, payload)) {
        throw new EmulatorProtocolError(
          `${where}: instruction chunk ${hint.chunk} differs from the model outside the address fields`,
        );
      }
      this.stats.verifiedInstructionBytes += payload.length;
      this.#readAddresses(request, hint.chunk, payload);
      return;
    }
    if (hint.kind !== 'dma' || hint.direction !== 'infeed')
      throw new EmulatorProtocolError(`${where}: unexpected data`);
    const expectedTag = hint.buffer === 'parameter' ? TAG.parameters : TAG.inputActivations;
    if (tag !== expectedTag || payload.length !== hint.size) {
      throw new EmulatorProtocolError(
        `${where}: expected tag ${expectedTag} with ${hint.size} bytes (${hint.buffer} ${hint.name}), got tag ${tag} with ${payload.length}`,
      );
    }
    if (hint.buffer === 'parameter') {
      const expected = request.exe.parameters.subarray(hint.offset, hint.offset + hint.size);
      for (let i = 0; i < payload.length; i++) {
        if (payload[i] !== expected[i])
          throw new EmulatorProtocolError(`${where}: parameter byte ${hint.offset + i} differs from the model`);
      }
      this.stats.verifiedParameterBytes += payload.length;
      this.#report(request, hint, TAG.parameters);
      return;
    }
    const name = hint.buffer === 'scratch' ? '__scratch' : hint.name;
    let buffer = request.buffers.get(key(name, hint.batch));
    if (!buffer) {
      buffer = new Uint8Array(Math.max(hint.offset + hint.size, request.exe.scratchSizeBytes));
      request.buffers.set(key(name, hint.batch), buffer);
    }
    if (hint.offset + hint.size > buffer.length)
      throw new EmulatorProtocolError(`${where}: input slice beyond the layer`);
    buffer.set(payload, hint.offset);
    this.stats.inputBytes += payload.length;
    this.#report(request, hint, TAG.inputActivations);
  }

  /** Reads back the addresses the host wrote into the instruction fields (§5.6). */
  #readAddresses(request: Request, chunk: number, payload: Uint8Array): void {
    const original = request.exe.chunks[chunk]!;
    let unpatched = original.fieldOffsets.length > 0;
    for (const f of original.fieldOffsets) {
      const value = readBits32(payload, f.offsetBit);
      if (value !== readBits32(original.bitstream, f.offsetBit)) unpatched = false;
      const key = bufferKey(f.buffer, f.name, f.batch);
      const entry = request.addresses.get(key) ?? { lo: 0, hi: 0 };
      if (f.position === 0) entry.lo = value;
      else entry.hi = value;
      request.addresses.set(key, entry);
    }
    if (unpatched && this.#descriptorMode) {
      this.#hooks.violation(`descriptor mode (descr_ep = 0xFF) with unrelocated instruction chunk ${chunk} (§8 #18)`);
    }
  }

  get #descriptorMode(): boolean {
    return (Number(this.csr.values.get(CSR.descr_ep) ?? 0n) & 0x0e) !== 0;
  }

  /** Descriptor mode (§4.6, §8 #18): report a DMA with the address the instructions carry. */
  #report(request: Request, hint: Extract<ModelHint, { kind: 'dma' }>, tag: number): void {
    if ((Number(this.csr.values.get(CSR.descr_ep) ?? 0n) & (1 << tag)) === 0) return;
    const a = request.addresses.get(bufferKey(hint.buffer, hint.name, hint.batch)) ?? { lo: 0, hi: 0 };
    const address = ((BigInt(a.hi) << 32n) | BigInt(a.lo)) + BigInt(hint.offset);
    if (this.reportShape === 'split' && !request.script && hint.size >= 128) {
      const half = (hint.size >> 1) & ~63;
      this.reshapedReports++;
      this.#pushEvent(encodeEvent({ address, length: half, tag }));
      this.#pushEvent(encodeEvent({ address: address + BigInt(half), length: hint.size - half, tag }));
      return;
    }
    this.#pushEvent(encodeEvent({ address, length: hint.size, tag }));
  }

  /** Runs the hints that need no host data: outputs, interrupts, fences (§4.4). */
  #advance(request: Request): void {
    for (;;) {
      const hint = request.exe.hints[request.next];
      if (!hint) {
        if (!request.exe.fullyDeterministic) {
          this.#startScript(request);
          return;
        }
        this.#current = undefined;
        return;
      }
      if (hint.kind === 'instruction' || (hint.kind === 'dma' && hint.direction === 'infeed')) return;
      request.next++;
      if (hint.kind === 'fence') continue;
      // Only outputs count as "unread" for the next request; events may trail (§4.3, §10 #3).
      const isOutput = hint.kind === 'dma';
      if (isOutput) this.#producing++;
      const step = hint;
      request.chain = request.chain
        .then(() => this.#produce(request, step))
        .catch((error: unknown) => this.#hooks.violation(`producing output: ${String(error)}`))
        .finally(() => {
          if (isOutput) this.#producing--;
        });
    }
  }

  // ---- Device-driven transfers (§4.10): the hints stop early; the device names every further DMA
  // on 0x82 (tags 1/2: it wants that slice, tag 3: it writes that slice on 0x81) and ends with the
  // completion event. Real firmware's order for such models is not documented; this emulator asks for
  // each kind of buffer once (scratch out and back, a parameter slice, the first input, then every
  // output) so each path of a driver's request loop is exercised, and it refuses any data it did not
  // ask for.

  #startScript(request: Request): void {
    const descr = Number(this.csr.values.get(CSR.descr_ep) ?? 0n);
    if ((descr & 0x0e) !== 0x0e) {
      this.#hooks.wedge(
        `${request.owner.name}: hints are not fully deterministic but descr_ep = 0x${descr.toString(16)}; the device cannot ask for its DMAs (§4.10)`,
      );
      this.#current = undefined;
      return;
    }
    const exe = request.exe;
    const script: DeviceAsk[] = [];
    if (exe.scratchSizeBytes > 0) {
      script.push({ tag: 3, buffer: 'scratch', name: '', offset: 0, size: exe.scratchSizeBytes });
      script.push({ tag: 1, buffer: 'scratch', name: '', offset: 0, size: exe.scratchSizeBytes });
    }
    if (exe.parameters.length > 0) {
      const half = (exe.parameters.length >> 1) & ~63;
      script.push({ tag: 2, buffer: 'parameter', name: '', offset: half, size: exe.parameters.length - half });
    }
    const first = exe.inputLayers[0];
    if (first) script.push({ tag: 1, buffer: 'input', name: first.name, offset: 0, size: first.sizeBytes });
    for (const layer of exe.outputLayers) {
      script.push({
        tag: 3,
        buffer: 'output',
        name: layer.name,
        offset: 0,
        size: layer.sizeBytes * layer.executionCount,
      });
    }
    request.script = script;
    this.#runScript(request);
  }

  #runScript(request: Request): void {
    const script = request.script!;
    for (;;) {
      const ask = script.shift();
      if (!ask) {
        this.#current = undefined;
        request.chain = request.chain
          .then(() => this.#produce(request, { kind: 'interrupt', type: 0 }))
          .catch((error: unknown) => this.#hooks.violation(`completion event: ${String(error)}`));
        return;
      }
      this.stats.deviceRequests++;
      const hint = { kind: 'dma', batch: 0, ...ask, direction: ask.tag === 3 ? 'outfeed' : 'infeed' } as const;
      if (ask.tag === 3) {
        this.#producing++;
        request.chain = request.chain
          .then(() => this.#produce(request, hint))
          .catch((error: unknown) => this.#hooks.violation(`producing output: ${String(error)}`))
          .finally(() => this.#producing--);
        continue;
      }
      // Ask only after everything before has gone out, and accept data only from then on.
      request.chain = request.chain.then(() => {
        if (this.#current !== request) return;
        request.awaiting = ask;
        this.#report(request, hint, ask.tag);
      });
      return;
    }
  }

  #acceptAsked(request: Request, tag: number, payload: Uint8Array): void {
    const ask = request.awaiting;
    const where = `${request.owner.name} device-driven phase`;
    if (!ask) {
      throw new EmulatorProtocolError(
        `${where}: the host sent ${payload.length} bytes (tag ${tag}) the device did not ask for`,
      );
    }
    if (tag !== ask.tag || payload.length !== ask.size) {
      throw new EmulatorProtocolError(
        `${where}: asked for tag ${ask.tag} with ${ask.size} bytes (${ask.buffer} ${ask.name}), got tag ${tag} with ${payload.length}`,
      );
    }
    const expected =
      ask.buffer === 'parameter'
        ? request.exe.parameters
        : request.buffers.get(key(ask.buffer === 'scratch' ? '__scratch' : ask.name, 0));
    const slice = expected?.subarray(ask.offset, ask.offset + ask.size);
    if (!slice || slice.length !== payload.length || slice.some((b, i) => b !== payload[i])) {
      throw new EmulatorProtocolError(`${where}: the ${ask.buffer} bytes sent differ from the addressed slice`);
    }
    if (ask.buffer === 'parameter') this.stats.verifiedParameterBytes += payload.length;
    else this.stats.inputBytes += payload.length;
    request.awaiting = undefined;
  }

  async #produce(request: Request, hint: ModelHint): Promise<void> {
    if (hint.kind === 'interrupt') {
      if (this.#hooks.dropEvents()) return;
      this.#pushEvent(encodeEvent({ address: 0n, length: 0, tag: TAG.scalarCoreInterrupt0 + hint.type }));
      return;
    }
    if (hint.kind !== 'dma') return;
    if (!request.outputs) request.outputs = await this.#compute(request);
    if (hint.buffer === 'scratch' && !request.outputs.has(key('__scratch', 0))) {
      // What the chip spills is its own business: deterministic bytes the host must hand back unchanged.
      const scratch = new Uint8Array(request.exe.scratchSizeBytes);
      for (let i = 0; i < scratch.length; i++) scratch[i] = (i * 37 + request.exe.scratchSizeBytes) & 0xff;
      request.outputs.set(key('__scratch', 0), scratch);
      request.buffers.set(key('__scratch', 0), scratch);
    }
    const buffer =
      request.outputs.get(key(hint.buffer === 'scratch' ? '__scratch' : hint.name, hint.batch)) ??
      new Uint8Array(hint.offset + hint.size);
    const slice = buffer.subarray(hint.offset, hint.offset + hint.size);
    this.#report(request, hint, TAG.outputActivations);
    // §4.5/§8 #15: chunks of outfeed_chunk_length × 8 bytes, each ending a transfer.
    const chunk = Number(this.csr.values.get(CSR.outfeed_chunk_length)!) * 8 || 1024;
    const fault = hint.buffer === 'output' && this.outputFault?.count ? this.outputFault : undefined;
    if (fault) fault.count--;
    for (let at = 0; at < slice.length; at += chunk) {
      const piece = slice.subarray(at, Math.min(at + chunk, slice.length));
      this.#pushOutput(piece);
      if (fault && at === 0) this.#pushOutput(fault.kind === 'extra' ? new Uint8Array(64).fill(0xa5) : piece.slice());
    }
    this.stats.outputBytes += slice.length;
  }

  async #compute(request: Request): Promise<Map<string, Uint8Array>> {
    await this.#hooks.inferenceDelay();
    const exe = request.exe;
    const inputs = new Map<string, Uint8Array>();
    for (const layer of exe.inputLayers) {
      const device = request.buffers.get(key(layer.name, 0))!;
      const user = unpackInput(layer, device);
      inputs.set(layer.name, user);
    }
    const outputs = request.owner.compute ? await request.owner.compute(inputs) : syntheticOutputs(exe, inputs);
    const devices = new Map<string, Uint8Array>();
    for (const layer of exe.outputLayers) {
      const user = outputs.get(layer.name);
      if (!user) throw new EmulatorProtocolError(`the model twin produced no output ${layer.name}`);
      if (user.length !== actualBytes(layer)) {
        throw new EmulatorProtocolError(
          `twin output ${layer.name} has ${user.length} bytes, layer needs ${actualBytes(layer)}`,
        );
      }
      devices.set(key(layer.name, 0), scatterOutput(layer, user));
    }
    this.lastInputs = inputs;
    this.lastOutputs = new Map(outputs);
    return devices;
  }

  // ---- IN endpoints (§4.5–§4.7, §8 #15–#17)

  #pushOutput(chunk: Uint8Array): void {
    this.#outQueue.push(chunk);
    this.#drainOutputs();
  }

  #drainOutputs(): void {
    while ((this.#staleOut.length > 0 || this.#outQueue.length > 0) && this.#outReads.length > 0) {
      const chunk = this.#staleOut.shift() ?? this.#outQueue.shift()!;
      const read = this.#outReads.shift()!;
      if (read.length < chunk.length) {
        this.#hooks.violation(`bulk IN 0x81 read of ${read.length} bytes for a ${chunk.length}-byte chunk (babble)`);
        read.resolve({
          status: 'babble',
          data: new DataView(chunk.slice(0, read.length).buffer),
        } as USBInTransferResult);
        continue;
      }
      read.resolve({ status: 'ok', data: new DataView(chunk.slice().buffer) } as USBInTransferResult);
    }
  }

  #pushEvent(event: Uint8Array): void {
    this.#events.push(event);
    this.stats.eventsSent++;
    this.#drainEvents();
  }

  #drainEvents(): void {
    while ((this.#staleEvents.length > 0 || this.#events.length > 0) && this.#eventReads.length > 0) {
      const event = this.#staleEvents.shift() ?? this.#events.shift()!;
      const read = this.#eventReads.shift()!;
      read.resolve({ status: 'ok', data: new DataView(event.buffer) } as USBInTransferResult);
    }
  }

  /** Fault injection: raise the interrupt word on 0x83 with matching status registers (§8 #17). */
  raiseInterrupt(word: number): void {
    if (word & 1) {
      this.csr.setStatus(CSR.fatal_err_int_status, 1n);
      this.csr.setStatus(CSR.hib_error_status, 1n << 13n);
      this.csr.setStatus(CSR.hib_first_error_status, 1n << 13n);
    }
    for (let k = 0; k < 4; k++) {
      if (word & (1 << (k + 1))) this.interrupts.latch(k);
      if (word & (1 << (k + 1)))
        this.csr.setStatus(
          [
            CSR.top_level_int_0_status,
            CSR.top_level_int_1_status,
            CSR.top_level_int_2_status,
            CSR.top_level_int_3_status,
          ][k]!,
          1n,
        );
    }
    this.#queueInterruptWord(word);
  }

  #queueInterruptWord(word: number): void {
    this.#interruptWords.push(encodeInterruptWord(word));
    this.#drainInterrupts();
  }

  /**
   * Fault injection: what a host that crashed mid-request left behind, `bytes` of output on 0x81 in
   * 1 KiB transfers and `events` completion events on 0x82, delivered before anything else.
   */
  queueStale(bytes: number, events = 1): void {
    for (let at = 0; at < bytes; at += 1024) this.#staleOut.push(new Uint8Array(Math.min(1024, bytes - at)).fill(0x5a));
    for (let i = 0; i < events; i++)
      this.#staleEvents.push(encodeEvent({ address: 0n, length: 0, tag: TAG.scalarCoreInterrupt0 }));
    this.#drainOutputs();
    this.#drainEvents();
  }

  #drainInterrupts(): void {
    while (this.#interruptWords.length > 0 && this.#interruptReads.length > 0) {
      const word = this.#interruptWords.shift()!;
      this.#interruptReads.shift()!.resolve({ status: 'ok', data: new DataView(word.buffer) } as USBInTransferResult);
    }
  }

  /** `timeoutMs`: a host-side timeout (node-usb style); on expiry the read is withdrawn and fails. */
  transferIn(endpoint: number, length: number, timeoutMs?: number): Promise<USBInTransferResult> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const read: PendingRead = {
        length,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          for (const list of [this.#outReads, this.#eventReads, this.#interruptReads]) {
            const i = list.indexOf(read);
            if (i >= 0) list.splice(i, 1);
          }
          reject(new Error(`transferIn error: Timeout after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      if (endpoint === 1) {
        this.#outReads.push(read);
        this.#drainOutputs();
      } else if (endpoint === 2) {
        if (length < EVENT_BYTES) {
          reject(new EmulatorProtocolError(`event read of ${length} bytes; events are 16 bytes (§8 #16)`));
          return;
        }
        this.#eventReads.push(read);
        this.#drainEvents();
      } else if (endpoint === 3) {
        this.#interruptReads.push(read);
        this.#drainInterrupts();
      } else {
        reject(new EmulatorProtocolError(`no IN endpoint ${endpoint}`));
      }
    });
  }

  /** Unread output bytes (for tests and the back-pressure rule). */
  get unreadOutputBytes(): number {
    return this.#outQueue.reduce((n, c) => n + c.length, 0);
  }

  get pendingReads(): { output: number; event: number; interrupt: number } {
    return { output: this.#outReads.length, event: this.#eventReads.length, interrupt: this.#interruptReads.length };
  }

  get requestInFlight(): boolean {
    return this.#current !== undefined || this.#producing > 0;
  }
}

function readBits32(bytes: Uint8Array, offsetBit: number): number {
  let value = 0;
  for (let i = 0; i < 32; i++) {
    const bit = offsetBit + i;
    if ((bytes[bit >> 3]! >> (bit & 7)) & 1) value |= 1 << i;
  }
  return value >>> 0;
}

/**
 * Outputs for a program without a CPU twin: deterministic bytes mixed from all inputs, so a test can
 * still check that the driver returns exactly what the device wrote (through re-layout).
 */
export function syntheticOutputs(
  exe: ModelExecutable,
  inputs: ReadonlyMap<string, Uint8Array>,
): Map<string, Uint8Array> {
  let h = 0x811c9dc5;
  for (const bytes of inputs.values()) {
    for (let i = 0; i < bytes.length; i += 7) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  }
  const out = new Map<string, Uint8Array>();
  exe.outputLayers.forEach((layer, li) => {
    const bytes = new Uint8Array(actualBytes(layer));
    let x = (h ^ (li * 0x9e3779b9)) >>> 0;
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    out.set(layer.name, bytes);
  });
  return out;
}
