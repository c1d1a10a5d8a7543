/**
 * The DFU personality (1a6e:089a) of the virtual Coral (protocol §1.3, §2.4–§2.6, §8 #1–#4): one
 * DFU-mode interface without endpoints, wTransferSize 256, a strict DNLOAD/GETSTATUS state
 * machine, UPLOAD of what was downloaded, and nothing else.
 */
import {
  DFU_STATE,
  encodeDfuStatus,
  DFU_DNLOAD,
  DFU_GETSTATUS,
  DFU_UPLOAD,
  DFU_CLRSTATUS,
  DFU_GETSTATE,
  DFU_ABORT,
  DFU_DETACH,
} from './device-dfu.ts';
import { EmulatorProtocolError } from './errors.ts';

export const DFU_TRANSFER_SIZE = 256;
/** DFU 1.1 bStatus codes used here. */
const errWRITE = 0x03;
const errSTALLEDPKT = 0x0f;

/** The configuration blob GET_DESCRIPTOR returns (§1.3): config, DFU interface, functional descriptor. */
export function dfuConfigurationBlob(): Uint8Array {
  const config = [9, 2, 27, 0, 1, 1, 0, 0x80, 0xfa];
  const iface = [9, 4, 0, 0, 0, 0xfe, 0x01, 0x02, 0];
  // bmAttributes: can download (bit0), can upload (bit1), manifestation tolerant (bit2).
  const functional = [9, 0x21, 0x07, 100, 0, DFU_TRANSFER_SIZE & 0xff, DFU_TRANSFER_SIZE >> 8, 0x10, 0x01];
  return Uint8Array.from([...config, ...iface, ...functional]);
}

export interface DfuHooks {
  /** Block number at which the bootloader reports an error (fault injection), or undefined. */
  failAtBlock: () => number | undefined;
  violation: (message: string) => void;
}

export class DfuFunction {
  state: number = DFU_STATE.dfuIDLE;
  status = 0;
  image: Uint8Array[] = [];
  /** A zero-length DNLOAD ended a complete download. */
  complete = false;
  #nextBlock = 0;
  #awaitingStatus = false;
  /**
   * Fault injection: after each DNLOAD the bootloader stays busy (dfuDNBUSY, or dfuMANIFEST after
   * the empty block) for `polls` GETSTATUS answers, each with this bwPollTimeout (§2.4). A GETSTATUS
   * sooner than the timeout it was given is a violation and does not advance the state.
   */
  busy: { polls: number; pollTimeoutMs: number } | undefined;
  #busyPolls = 0;
  #busyUntil = 0;
  /** The state the bootloader reaches once no longer busy. */
  #afterBusy: number | undefined;
  readonly #hooks: DfuHooks;

  constructor(hooks: DfuHooks) {
    this.#hooks = hooks;
  }

  get downloaded(): Uint8Array {
    const total = this.image.reduce((n, b) => n + b.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const b of this.image) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  #error(why: string): void {
    this.#hooks.violation(`DFU: ${why}`);
    this.state = DFU_STATE.dfuERROR;
    this.status = errSTALLEDPKT;
  }

  #checkSetup(setup: USBControlTransferParameters): void {
    if (setup.requestType === 'vendor') throw new EmulatorProtocolError('vendor request to the DFU bootloader (§8 #1)');
    if (setup.requestType !== 'class' || setup.recipient !== 'interface' || setup.index !== 0) {
      throw new EmulatorProtocolError(`DFU request with ${setup.requestType}/${setup.recipient} index ${setup.index}`);
    }
  }

  controlOut(setup: USBControlTransferParameters, data: Uint8Array): USBOutTransferResult {
    if (setup.requestType === 'standard') return { status: 'stall', bytesWritten: 0 } as USBOutTransferResult;
    this.#checkSetup(setup);
    switch (setup.request) {
      case DFU_DNLOAD: {
        if (this.state === DFU_STATE.dfuERROR) return { status: 'stall', bytesWritten: 0 } as USBOutTransferResult;
        if (this.#afterBusy !== undefined) this.#error(`DNLOAD block ${setup.value} while the bootloader is busy`);
        else if (this.state !== DFU_STATE.dfuIDLE && this.state !== DFU_STATE.dfuDNLOAD_IDLE)
          this.#error(
            `DNLOAD block ${setup.value} in state ${this.state} (DFU 1.1 allows it in dfuIDLE/dfuDNLOAD-IDLE)`,
          );
        else if (this.#awaitingStatus)
          this.#error(`DNLOAD block ${setup.value} before GETSTATUS of the previous block`);
        else if (setup.value !== this.#nextBlock)
          this.#error(`DNLOAD block ${setup.value}, expected ${this.#nextBlock}`);
        else if (data.length > DFU_TRANSFER_SIZE) this.#error(`DNLOAD block of ${data.length} bytes > wTransferSize`);
        else if (this.#hooks.failAtBlock() === setup.value) {
          this.state = DFU_STATE.dfuERROR;
          this.status = errWRITE;
        } else {
          if (setup.value === 0) {
            this.image = [];
            this.complete = false;
          }
          if (data.length === 0) {
            this.complete = true;
            this.state = DFU_STATE.dfuIDLE; // manifestation tolerant: straight back to idle (§2.5)
          } else {
            this.image.push(data.slice());
            this.state = DFU_STATE.dfuDNLOAD_IDLE;
          }
          this.#nextBlock = (this.#nextBlock + 1) & 0xffff;
          this.#awaitingStatus = true;
          if (this.busy && this.busy.polls > 0) {
            this.#afterBusy = this.state;
            this.state = data.length === 0 ? DFU_STATE.dfuMANIFEST : DFU_STATE.dfuDNBUSY;
            this.#busyPolls = this.busy.polls;
            this.#busyUntil = 0;
          }
        }
        return { status: 'ok', bytesWritten: data.length } as USBOutTransferResult;
      }
      case DFU_CLRSTATUS:
        this.state = DFU_STATE.dfuIDLE;
        this.status = 0;
        this.#nextBlock = 0;
        this.#awaitingStatus = false;
        return { status: 'ok', bytesWritten: 0 } as USBOutTransferResult;
      case DFU_ABORT:
        this.state = DFU_STATE.dfuIDLE;
        this.#nextBlock = 0;
        this.#awaitingStatus = false;
        return { status: 'ok', bytesWritten: 0 } as USBOutTransferResult;
      case DFU_DETACH:
        return { status: 'ok', bytesWritten: 0 } as USBOutTransferResult;
      default:
        throw new EmulatorProtocolError(`DFU OUT request ${setup.request}`);
    }
  }

  controlIn(setup: USBControlTransferParameters, length: number): USBInTransferResult {
    if (setup.requestType === 'standard') {
      if (setup.request === 6 && setup.value >> 8 === 2) {
        const blob = dfuConfigurationBlob();
        return {
          status: 'ok',
          data: new DataView(blob.slice(0, Math.min(length, blob.length)).buffer),
        } as USBInTransferResult;
      }
      return { status: 'stall' } as USBInTransferResult;
    }
    this.#checkSetup(setup);
    switch (setup.request) {
      case DFU_GETSTATUS: {
        this.#awaitingStatus = false;
        let pollTimeoutMs = 0;
        if (this.#afterBusy !== undefined) {
          const early = performance.now() < this.#busyUntil - 1; // a host timer's rounding is no fault
          if (early) {
            this.#hooks.violation(
              `DFU: GETSTATUS ${Math.ceil(this.#busyUntil - performance.now())} ms before the bwPollTimeout it was given`,
            );
          } else if (this.#busyPolls > 0) {
            this.#busyPolls--;
            this.#busyUntil = performance.now() + this.busy!.pollTimeoutMs;
          } else {
            this.state = this.#afterBusy;
            this.#afterBusy = undefined;
          }
          if (this.#afterBusy !== undefined) pollTimeoutMs = this.busy!.pollTimeoutMs;
        }
        const bytes = encodeDfuStatus({ status: this.status, pollTimeoutMs, state: this.state, iString: 0 });
        return { status: 'ok', data: new DataView(bytes.buffer) } as USBInTransferResult;
      }
      case DFU_GETSTATE:
        return { status: 'ok', data: new DataView(Uint8Array.of(this.state).buffer) } as USBInTransferResult;
      case DFU_UPLOAD: {
        if (this.state !== DFU_STATE.dfuIDLE && this.state !== DFU_STATE.dfuUPLOAD_IDLE) {
          this.#error(`UPLOAD in state ${this.state}`);
          return { status: 'stall' } as USBInTransferResult;
        }
        const image = this.downloaded;
        const from = setup.value * DFU_TRANSFER_SIZE;
        const piece = image.slice(
          Math.min(from, image.length),
          Math.min(from + Math.min(length, DFU_TRANSFER_SIZE), image.length),
        );
        this.state = piece.length < DFU_TRANSFER_SIZE ? DFU_STATE.dfuIDLE : DFU_STATE.dfuUPLOAD_IDLE;
        return { status: 'ok', data: new DataView(piece.buffer) } as USBInTransferResult;
      }
      default:
        throw new EmulatorProtocolError(`DFU IN request ${setup.request}`);
    }
  }
}
