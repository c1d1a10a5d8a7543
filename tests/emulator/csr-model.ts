/**
 * The chip's registers as the firmware exposes them after firmware load + port reset (protocol
 * §3.2 read-back values, §8 #7–#10): widths enforced, unknown offsets refused loudly, the power
 * state following force-sleep writes, write-0-to-clear status registers, and the open-sequence
 * ordering the firmware expects recorded for `canStream()`.
 */
import {
  CSR,
  KNOWN_REGISTERS,
  RESET_VALUES,
  SCALAR_CORE_RUN_CONTROLS,
  TILE_RUN_CONTROLS,
  WRITE_ZERO_TO_CLEAR,
  clockOf,
  getField,
  registerName as csrName,
  registerWidth,
  setField,
  type ClockPreset,
} from './device-registers.ts';
import { EmulatorProtocolError } from './errors.ts';

export class CsrModel {
  readonly values = new Map<number, bigint>();
  readonly known: ReadonlySet<number> = KNOWN_REGISTERS;
  /** tileconfig0 = 0x7F written and read back (§8 #9). */
  tileBroadcastConfirmed = false;
  written = new Set<number>();
  /** Clock preset last programmed, for tests (§8 #10). */
  clock: ClockPreset | undefined;
  interruptsEnabled = false;
  /** Set by the coral: a halt written while a request was pending wedges the chip (§8 #19). */
  onHaltWhileBusy: (() => void) | undefined;
  busy = (): boolean => false;
  /** Set by the app function: streams and cached parameters do not survive a core reset. */
  onCoreReset: (() => void) | undefined;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.values.clear();
    for (const offset of this.known) this.values.set(offset, RESET_VALUES.get(offset) ?? 0n);
    this.tileBroadcastConfirmed = false;
    this.written = new Set();
    this.clock = undefined;
    this.interruptsEnabled = false;
  }

  get coreOutOfReset(): boolean {
    const w = Number(this.values.get(CSR.scu_ctrl_3)!);
    return getField(w, 22, 2) === 2 && getField(w, 8, 2) === 0;
  }

  /** Everything the firmware needs before the first bulk OUT (§8 #9). */
  notReadyReason(): string | undefined {
    if (!this.coreOutOfReset) return 'core still in reset (scu_ctrl_3 force-sleep ≠ 2)';
    for (const reg of ['descr_ep', 'outfeed_chunk_length', 'multi_bo_ep'] as const) {
      if (!this.written.has(CSR[reg])) return `${reg} not written`;
    }
    for (const reg of [...SCALAR_CORE_RUN_CONTROLS, ...TILE_RUN_CONTROLS]) {
      if (this.values.get(reg) !== 1n) return `${csrName(reg)} is not 1 (run)`;
    }
    return undefined;
  }

  #check(offset: number, width: 32 | 64): void {
    if (!this.known.has(offset)) throw new EmulatorProtocolError(`access to unknown CSR 0x${offset.toString(16)}`);
    if (registerWidth(offset) !== width) {
      throw new EmulatorProtocolError(
        `CSR ${csrName(offset)} is ${registerWidth(offset)}-bit, accessed as ${width}-bit`,
      );
    }
    if (width === 64 && !this.coreOutOfReset) {
      throw new EmulatorProtocolError(`64-bit CSR ${csrName(offset)} accessed while the core is in reset`);
    }
  }

  read(offset: number, width: 32 | 64): bigint {
    this.#check(offset, width);
    const value = this.values.get(offset)!;
    if (offset === CSR.tileconfig0 && value === 0x7fn) this.tileBroadcastConfirmed = true;
    return value;
  }

  write(offset: number, width: 32 | 64, value: bigint): void {
    this.#check(offset, width);
    this.written.add(offset);
    if (WRITE_ZERO_TO_CLEAR.has(offset)) {
      this.values.set(offset, this.values.get(offset)! & value);
      return;
    }
    if (TILE_RUN_CONTROLS.includes(offset) && value !== 0n && !this.tileBroadcastConfirmed) {
      throw new EmulatorProtocolError(`${csrName(offset)} written before tileconfig0 = 0x7F was read back`);
    }
    if (offset === CSR.tileconfig0) this.tileBroadcastConfirmed = false;
    const isRunControl = SCALAR_CORE_RUN_CONTROLS.includes(offset) || TILE_RUN_CONTROLS.includes(offset);
    if (isRunControl && value === 2n && this.busy()) this.onHaltWhileBusy?.();
    if (offset === CSR.scu_ctrl_3) {
      let w = Number(value & 0xffffffffn);
      const force = getField(w, 22, 2);
      // §8 #8: power state follows force-sleep; low bits as in the capture (0x25C asleep, 0x004 awake).
      if (force === 3) {
        w = ((w & ~0x3ff) | 0x25c) >>> 0;
        // The core's own registers (0x4xxxx) return to their reset values with the core.
        for (const reg of this.values.keys()) if (reg >>> 16 === 4) this.values.set(reg, 0n);
        this.tileBroadcastConfirmed = false;
        for (const reg of [...this.written]) if (reg >>> 16 === 4) this.written.delete(reg);
        this.onCoreReset?.();
      }
      if (force === 2) {
        w = ((w & ~0x3ff) | 0x004) >>> 0;
        this.clock = clockOf(w);
      }
      this.values.set(offset, BigInt(w));
      return;
    }
    if (offset === CSR.omc0_d4 && (value & 0x80000000n) !== 0n) this.interruptsEnabled = true;
    this.values.set(offset, value);
  }

  /** For fault injection: raise an interrupt status (§8 #17). */
  setStatus(offset: number, value: bigint): void {
    this.values.set(offset, value);
  }

  setField32(offset: number, lo: number, width: number, value: number): void {
    this.values.set(offset, BigInt(setField(Number(this.values.get(offset)!), lo, width, value)));
  }
}
