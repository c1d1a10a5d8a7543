/**
 * The CSR sequences that bring the chip up and down (protocol §3.5, §3.6), in libedgetpu's order:
 * PHY power modes, clock gating, reset entry/exit with the chosen clock, chip init (descriptors,
 * single-endpoint mode, outfeed chunk size), run control, interrupt enabling.
 */
import { ReefError } from '../../errors.ts';
import { pollCsr, readCsr32, readCsr64, writeCsr32, writeCsr64 } from '../usb/csr.ts';
import {
  BEAGLE_CHIP_ID,
  CSR,
  RUN_CONTROL,
  SCALAR_CORE_RUN_CONTROLS,
  SCU_CTRL_2_GATED_GCB,
  SCU_CTRL_3,
  TILE_RUN_CONTROLS,
  TOP_LEVEL_INT_CONTROLS,
  getField,
  setField,
  withClock,
  type ClockPreset,
} from '../usb/registers.ts';
import type { UsbTransport } from '../usb/transfer.ts';

export interface OpenSequenceOptions {
  clock: ClockPreset;
  /** outfeed_chunk_length in 8-byte units: 0x80 (1 KiB, SuperSpeed) or 0x20 (256 B, USB 2) (§1.4). */
  outfeedChunkUnits: number;
  /** descr_ep: 0xF0 = only scalar-core interrupts (default, §3.5 step 19). */
  descriptorEnable: number;
  /** Timeout of each polling loop (§3.1: libedgetpu has none; LibrEdgeTPU 5 s). */
  pollTimeoutMs: number;
}

export interface OpenReport {
  /** omc0_00[31:24], logged by libedgetpu (§3.5 step 18). */
  efuseRevision: number;
}

/** §3.5 steps 5–8 (also close step 4): force the core into reset, wait, clear bulk credits. */
async function enterReset(usb: UsbTransport, pollTimeoutMs: number): Promise<void> {
  const scu3 = await readCsr32(usb, CSR.scu_ctrl_3);
  if (getField(scu3, SCU_CTRL_3.forceSleep.lo, 2) === 3) return;
  await writeCsr32(usb, CSR.scu_ctrl_3, setField(scu3, SCU_CTRL_3.forceSleep.lo, 2, 3));
  await pollCsr(
    () => readCsr32(usb, CSR.scu_ctrl_3),
    (v) => getField(v, SCU_CTRL_3.curPwrState.lo, 2) === 2,
    `${usb.label}: core entering reset (scu_ctrl_3 power state 2)`,
    { timeoutMs: pollTimeoutMs },
  );
  await writeCsr32(usb, CSR.gcbb_credit0, 0xf);
  await writeCsr32(usb, CSR.gcbb_credit0, 0x0);
}

async function broadcastTiles(usb: UsbTransport, pollTimeoutMs: number): Promise<void> {
  await writeCsr64(usb, CSR.tileconfig0, 0x7f);
  await pollCsr(
    () => readCsr64(usb, CSR.tileconfig0),
    (v) => v === 0x7fn,
    `${usb.label}: tileconfig0 broadcast read-back`,
    { timeoutMs: pollTimeoutMs },
  );
}

async function setRunControl(usb: UsbTransport, value: number, pollTimeoutMs: number): Promise<void> {
  for (const reg of SCALAR_CORE_RUN_CONTROLS) await writeCsr64(usb, reg, value);
  await broadcastTiles(usb, pollTimeoutMs);
  for (const reg of TILE_RUN_CONTROLS) await writeCsr64(usb, reg, value);
}

export async function runOpenSequence(usb: UsbTransport, options: OpenSequenceOptions): Promise<OpenReport> {
  const { pollTimeoutMs } = options;
  // 1–2: PCIe and USB inactive-PHY modes cleared.
  const scu0 = await readCsr32(usb, CSR.scu_ctrl_0);
  await writeCsr32(usb, CSR.scu_ctrl_0, (scu0 & ~0x3f00) >>> 0);
  // 3–4: force the core clock on while resetting if hardware gating is active.
  const scu2 = await readCsr32(usb, CSR.scu_ctrl_2);
  if (getField(scu2, SCU_CTRL_2_GATED_GCB.lo, 2) === 1) {
    const again = await readCsr32(usb, CSR.scu_ctrl_2);
    await writeCsr32(usb, CSR.scu_ctrl_2, setField(again, SCU_CTRL_2_GATED_GCB.lo, 2, 2));
  }
  // 5–8
  await enterReset(usb, pollTimeoutMs);
  // 9–11: leave reset with the chosen clock.
  const scu3 = await readCsr32(usb, CSR.scu_ctrl_3);
  await writeCsr32(usb, CSR.scu_ctrl_3, withClock(setField(scu3, SCU_CTRL_3.forceSleep.lo, 2, 2), options.clock));
  await pollCsr(
    () => readCsr32(usb, CSR.scu_ctrl_3),
    (v) => getField(v, SCU_CTRL_3.curPwrState.lo, 2) === 0,
    `${usb.label}: core leaving reset (scu_ctrl_3 power state 0)`,
    { timeoutMs: pollTimeoutMs },
  );
  // 12–16
  await pollCsr(
    () => readCsr64(usb, CSR.scalarCoreRunControl),
    (v) => v === 0n,
    `${usb.label}: scalar core idle`,
    {
      timeoutMs: pollTimeoutMs,
    },
  );
  await writeCsr64(usb, CSR.idleRegister, 1);
  await broadcastTiles(usb, pollTimeoutMs);
  await writeCsr64(usb, CSR.deepSleep, 0x1e02);
  // 17: hardware clock gating on.
  const gate = await readCsr32(usb, CSR.scu_ctrl_2);
  await writeCsr32(usb, CSR.scu_ctrl_2, setField(gate, SCU_CTRL_2_GATED_GCB.lo, 2, 1));
  // 18: chip id check (§3.7).
  const omc = await readCsr32(usb, CSR.omc0_00);
  if ((omc & 0xffff) !== BEAGLE_CHIP_ID) {
    throw new ReefError(
      'FAILED_PRECONDITION',
      `${usb.label}: chip id 0x${(omc & 0xffff).toString(16)} is not an Edge TPU (0x089a)`,
      { reason: 'wrong-chip' },
    );
  }
  // 19–21
  await writeCsr64(usb, CSR.descr_ep, options.descriptorEnable);
  await writeCsr64(usb, CSR.multi_bo_ep, 0);
  await writeCsr64(usb, CSR.outfeed_chunk_length, options.outfeedChunkUnits);
  // 22–24
  await setRunControl(usb, RUN_CONTROL.run, pollTimeoutMs);
  // 25–31: interrupts.
  await writeCsr64(usb, CSR.fatal_err_int_control, 1);
  for (const reg of TOP_LEVEL_INT_CONTROLS) await writeCsr64(usb, reg, 1);
  await rmw32(usb, CSR.omc0_d4, (v) => (v | 0x80000000) >>> 0);
  await rmw32(usb, CSR.rambist_ctrl_1, (v) => setField(setField(v, 16, 3, 0), 20, 3, 0));
  await rmw32(usb, CSR.scu_ctr_7, (v) => setField(setField(setField(v, 16, 1, 0), 17, 1, 0), 18, 2, 0));
  await writeCsr32(usb, CSR.slv_abm_en, 1);
  await writeCsr32(usb, CSR.mst_abm_en, 1);
  await writeCsr32(usb, CSR.slv_err_resp_isr_mask, 3);
  await writeCsr32(usb, CSR.mst_err_resp_isr_mask, 3);
  await rmw32(usb, CSR.omc0_d8, (v) => (v | 0x80000000) >>> 0);
  return { efuseRevision: omc >>> 24 };
}

async function rmw32(usb: UsbTransport, offset: number, change: (value: number) => number): Promise<void> {
  await writeCsr32(usb, offset, change(await readCsr32(usb, offset)));
}

/** §3.6 steps 2–4 (step 1, cancelling reads, is the caller's; step 5 releases the interface). */
export async function runCloseSequence(usb: UsbTransport, pollTimeoutMs: number): Promise<void> {
  for (const reg of TOP_LEVEL_INT_CONTROLS) await writeCsr64(usb, reg, 0);
  await rmw32(usb, CSR.omc0_d4, (v) => (v & 0x7fffffff) >>> 0);
  await rmw32(usb, CSR.rambist_ctrl_1, (v) => setField(setField(v, 16, 3, 0), 20, 3, 7));
  await rmw32(usb, CSR.scu_ctr_7, (v) => setField(setField(setField(v, 16, 1, 0), 17, 1, 0), 18, 2, 3));
  await writeCsr32(usb, CSR.slv_abm_en, 0);
  await writeCsr32(usb, CSR.mst_abm_en, 0);
  await writeCsr32(usb, CSR.slv_err_resp_isr_mask, 0);
  await writeCsr32(usb, CSR.mst_err_resp_isr_mask, 0);
  await rmw32(usb, CSR.omc0_d8, (v) => (v & 0x7fffffff) >>> 0);
  await writeCsr64(usb, CSR.fatal_err_int_control, 0);
  await setRunControl(usb, RUN_CONTROL.halt, pollTimeoutMs);
  await enterReset(usb, pollTimeoutMs);
}
