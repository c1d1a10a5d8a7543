/**
 * Top-level interrupts on EP 0x83 (protocol §4.7), handled as libedgetpu's beagle top-level
 * interrupt manager does: first clear the cause at its source, then acknowledge the status
 * register. Acknowledging alone is not enough: the source stays latched and the chip raises the
 * interrupt again at once, forever.
 */
import { readCsr32, writeCsr32, writeCsr64 } from '../usb/csr.ts';
import { CSR, OMC0_DC, TOP_LEVEL_INT_CONTROLS, TOP_LEVEL_INT_STATUSES } from '../usb/registers.ts';
import type { UsbTransport } from '../usb/transfer.ts';

export const TOP_LEVEL = { thermalShutdown: 0, pcieError: 1, bist: 2, thermalWarning: 3 } as const;

export const TOP_LEVEL_WARNINGS = ['thermal shutdown', 'PCIe/AXI error', 'BIST/PLL/boot failure', 'thermal warning'];

/** Clears the source of top-level interrupt `k`, then its status (write 0 to clear, §3.2). */
export async function clearTopLevelInterrupt(usb: UsbTransport, k: number): Promise<void> {
  switch (k) {
    case TOP_LEVEL.thermalShutdown:
    case TOP_LEVEL.thermalWarning: {
      // omc0_dc is read first: its flag says whether the clear bit must be written (libedgetpu).
      const dc = await readCsr32(usb, CSR.omc0_dc);
      const [flag, clear] =
        k === TOP_LEVEL.thermalWarning
          ? [OMC0_DC.warningFlag, OMC0_DC.warningClear]
          : [OMC0_DC.shutdownFlag, OMC0_DC.shutdownClear];
      await writeCsr32(usb, CSR.omc0_dc, (dc & flag) !== 0 ? (dc | clear) >>> 0 : dc);
      break;
    }
    case TOP_LEVEL.bist: {
      // rambist_ctrl_1 [18:16] and scu_ctr_7 bits 16–17 are write-1-to-clear (§3.3): writing back
      // the word as read clears exactly the bits that were set, and keeps the masks as they were.
      const bist = await readCsr32(usb, CSR.rambist_ctrl_1);
      await writeCsr32(usb, CSR.rambist_ctrl_1, bist);
      const scu7 = await readCsr32(usb, CSR.scu_ctr_7);
      await writeCsr32(usb, CSR.scu_ctr_7, scu7);
      break;
    }
    case TOP_LEVEL.pcieError: {
      // An AXI bus monitor's error-response flag clears when its abm_en is toggled off and on.
      const monitors: [number, number][] = [
        [CSR.slv_wr_err_resp, CSR.slv_abm_en],
        [CSR.slv_rd_err_resp, CSR.slv_abm_en],
        [CSR.mst_wr_err_resp, CSR.mst_abm_en],
        [CSR.mst_rd_err_resp, CSR.mst_abm_en],
      ];
      for (const [flag, enable] of monitors) {
        if ((await readCsr32(usb, flag)) !== 1) continue;
        await writeCsr32(usb, enable, 0);
        await writeCsr32(usb, enable, 1);
      }
      break;
    }
  }
  await writeCsr64(usb, TOP_LEVEL_INT_STATUSES[k]!, 0);
}

/** Masks top-level interrupt `k` (its control register, §3.2) when it will not stop firing. */
export async function disableTopLevelInterrupt(usb: UsbTransport, k: number): Promise<void> {
  await writeCsr64(usb, TOP_LEVEL_INT_CONTROLS[k]!, 0);
}

/**
 * Counts firings per interrupt in a sliding window. A cause that survives its clear (a sensor stuck
 * hot, a handler that cannot reach the chip) would otherwise fill `warnings` without end.
 */
export class InterruptStorm {
  readonly #times: number[][] = [[], [], [], []];
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(limit = 8, windowMs = 1000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records one firing of `k`; true when it fired more than the limit within the window. */
  fired(k: number, now = performance.now()): boolean {
    const times = this.#times[k]!;
    times.push(now);
    while (times.length > 0 && now - times[0]! > this.#windowMs) times.shift();
    return times.length > this.#limit;
  }

  reset(): void {
    for (const times of this.#times) times.length = 0;
  }
}
