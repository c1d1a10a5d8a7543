/**
 * Where the chip's top-level interrupts come from (protocol §3.2, §3.3, §4.7), as latched flags
 * that only the documented clear writes drop: omc0_dc bit31/bit30 (thermal warning/shutdown, cleared
 * by writing 1 to bit29/bit28), the AXI error-response flags (cleared by turning their abm_en off),
 * rambist_ctrl_1 [18:16] and scu_ctr_7 bits 16–17 (write 1 to clear). Acknowledging
 * top_level_int_k_status while its source is still latched raises the interrupt again at once:
 * a driver that only acknowledges gets an endless stream of interrupts.
 */
import type { CsrModel } from './csr-model.ts';
import { CSR } from './device-registers.ts';

const WARNING_FLAG = 1n << 31n;
const SHUTDOWN_FLAG = 1n << 30n;
const WARNING_CLEAR = 1n << 29n;
const SHUTDOWN_CLEAR = 1n << 28n;
const BIST_STATUS = 0x7n << 16n;
const SCU7_FAILURES = 0x3n << 16n;

const STATUS: readonly number[] = [
  CSR.top_level_int_0_status,
  CSR.top_level_int_1_status,
  CSR.top_level_int_2_status,
  CSR.top_level_int_3_status,
];
const CONTROL: readonly number[] = [
  CSR.top_level_int_0_control,
  CSR.top_level_int_1_control,
  CSR.top_level_int_2_control,
  CSR.top_level_int_3_control,
];
const AXI_FLAGS = [CSR.slv_wr_err_resp, CSR.slv_rd_err_resp, CSR.mst_wr_err_resp, CSR.mst_rd_err_resp];

export class InterruptSources {
  readonly #csr: CsrModel;
  /** Interrupts raised again because their status was acknowledged with the source still latched. */
  refires = 0;

  constructor(csr: CsrModel) {
    this.#csr = csr;
  }

  #get(offset: number): bigint {
    return this.#csr.values.get(offset) ?? 0n;
  }

  /** Latches the source of top-level interrupt k (fault injection). */
  latch(k: number): void {
    const set = (offset: number, bits: bigint) => this.#csr.setStatus(offset, this.#get(offset) | bits);
    if (k === 0) set(CSR.omc0_dc, SHUTDOWN_FLAG);
    if (k === 1) this.#csr.setStatus(CSR.slv_wr_err_resp, 1n);
    if (k === 2) set(CSR.rambist_ctrl_1, 1n << 16n); // BIST fail
    if (k === 3) set(CSR.omc0_dc, WARNING_FLAG);
  }

  /**
   * The thermal flags live in the chip's temperature block, not in the USB or core logic: a port
   * reset does not drop them (a guess; nothing documents it either way). Read before, restore after.
   */
  get thermalFlags(): bigint {
    return this.#get(CSR.omc0_dc) & (WARNING_FLAG | SHUTDOWN_FLAG);
  }

  set thermalFlags(flags: bigint) {
    this.#csr.setStatus(CSR.omc0_dc, this.#get(CSR.omc0_dc) | flags);
  }

  latched(k: number): boolean {
    if (k === 0) return (this.#get(CSR.omc0_dc) & SHUTDOWN_FLAG) !== 0n;
    if (k === 1) return AXI_FLAGS.some((offset) => this.#get(offset) === 1n);
    if (k === 2)
      return (this.#get(CSR.rambist_ctrl_1) & BIST_STATUS) !== 0n || (this.#get(CSR.scu_ctr_7) & SCU7_FAILURES) !== 0n;
    return (this.#get(CSR.omc0_dc) & WARNING_FLAG) !== 0n;
  }

  /**
   * Called after the CSR model stored a write: applies the clear semantics of the source registers,
   * and returns the top-level interrupt to raise again when a status was acknowledged too early.
   */
  afterWrite(offset: number, written: bigint, before: bigint): number | undefined {
    if (offset === CSR.omc0_dc) {
      // Flags and temperature are read-only; bits 28/29 drop the matching flag.
      let kept = before;
      if (written & SHUTDOWN_CLEAR) kept &= ~SHUTDOWN_FLAG;
      if (written & WARNING_CLEAR) kept &= ~WARNING_FLAG;
      this.#csr.values.set(offset, kept);
    } else if (offset === CSR.rambist_ctrl_1 || offset === CSR.scu_ctr_7) {
      const w1c = offset === CSR.rambist_ctrl_1 ? BIST_STATUS : SCU7_FAILURES;
      this.#csr.values.set(offset, (written & ~w1c) | (before & w1c & ~written));
    } else if (offset === CSR.slv_abm_en || offset === CSR.mst_abm_en) {
      if (written === 0n) {
        const flags =
          offset === CSR.slv_abm_en
            ? [CSR.slv_wr_err_resp, CSR.slv_rd_err_resp]
            : [CSR.mst_wr_err_resp, CSR.mst_rd_err_resp];
        for (const flag of flags) this.#csr.values.set(flag, 0n);
      }
    } else if (CONTROL.includes(offset)) {
      // Level-triggered: enabling an interrupt whose source is latched raises it at once.
      const k = CONTROL.indexOf(offset);
      if (written === 1n && this.latched(k)) {
        this.#csr.setStatus(STATUS[k]!, 1n);
        this.refires++;
        return k;
      }
    } else {
      const k = STATUS.indexOf(offset);
      if (k >= 0 && this.#get(offset) === 0n && this.latched(k) && this.#get(CONTROL[k]!) === 1n) {
        this.#csr.setStatus(offset, 1n);
        this.refires++;
        return k;
      }
    }
    return undefined;
  }
}
