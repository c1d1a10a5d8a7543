/**
 * The chip registers (CSRs) a USB driver touches, with the names libedgetpu uses (protocol §3.2),
 * and the bit fields that matter (§3.3, §3.4). Offsets 0x1xxxx are 32-bit, 0x4xxxx are 64-bit.
 */

export const CSR = {
  // 32-bit "apex" top level (protocol §3.2)
  gcbb_credit0: 0x1907c,
  omc0_00: 0x1a000,
  omc0_d4: 0x1a0d4,
  omc0_d8: 0x1a0d8,
  omc0_dc: 0x1a0dc,
  scu_ctrl_0: 0x1a30c,
  scu_ctrl_2: 0x1a314,
  scu_ctrl_3: 0x1a318,
  scu_ctr_7: 0x1a33c,
  slv_abm_en: 0x1a500,
  slv_wr_err_resp: 0x1a540,
  slv_rd_err_resp: 0x1a544,
  slv_err_resp_isr_mask: 0x1a558,
  mst_abm_en: 0x1a600,
  mst_wr_err_resp: 0x1a640,
  mst_rd_err_resp: 0x1a644,
  mst_err_resp_isr_mask: 0x1a658,
  rambist_ctrl_1: 0x1a704,
  // 64-bit DarwiNN core, tiles, USB bridge (protocol §3.2)
  deepSleep: 0x40020,
  opRunControl: 0x400c0,
  wideToNarrowRunControl: 0x40110,
  narrowToWideRunControl: 0x40150,
  ringBusConsumer0RunControl: 0x40190,
  ringBusConsumer1RunControl: 0x401d0,
  ringBusProducerRunControl: 0x40210,
  meshBus0RunControl: 0x40250,
  meshBus1RunControl: 0x40298,
  meshBus2RunControl: 0x402e0,
  meshBus3RunControl: 0x40328,
  scalarCoreRunControl: 0x44018,
  avDataPopRunControl: 0x44158,
  parameterPopRunControl: 0x44198,
  infeedRunControl: 0x441d8,
  outfeedRunControl: 0x44218,
  scalarCoreRunStatus: 0x44258,
  hib_error_status: 0x486f0,
  hib_error_mask: 0x486f8,
  hib_first_error_status: 0x48700,
  tileconfig0: 0x48788,
  idleRegister: 0x4a000,
  outfeed_chunk_length: 0x4c058,
  fatal_err_int_control: 0x4c060,
  fatal_err_int_status: 0x4c068,
  top_level_int_0_control: 0x4c070,
  top_level_int_0_status: 0x4c078,
  top_level_int_1_control: 0x4c080,
  top_level_int_1_status: 0x4c088,
  top_level_int_2_control: 0x4c090,
  top_level_int_2_status: 0x4c098,
  top_level_int_3_control: 0x4c0a0,
  top_level_int_3_status: 0x4c0a8,
  descr_ep: 0x4c148,
  ep_status_credit: 0x4c150,
  multi_bo_ep: 0x4c160,
} as const;

export type CsrName = keyof typeof CSR;

const NAMES = new Map<number, CsrName>(Object.entries(CSR).map(([name, offset]) => [offset, name as CsrName]));

export function csrName(offset: number): string {
  return NAMES.get(offset) ?? `0x${offset.toString(16)}`;
}

/** Register width by address block (protocol §3.1: 0x1xxxx → 32-bit, 0x4xxxx → 64-bit). */
export function csrWidth(offset: number): 32 | 64 {
  return offset >>> 16 === 1 ? 32 : 64;
}

/** The five scalar-core run controls, in the order the open sequence writes them (§3.5 step 22). */
export const SCALAR_CORE_RUN_CONTROLS = [
  CSR.scalarCoreRunControl,
  CSR.avDataPopRunControl,
  CSR.parameterPopRunControl,
  CSR.infeedRunControl,
  CSR.outfeedRunControl,
] as const;

/** The ten tile run controls, in the order of §3.5 step 24. */
export const TILE_RUN_CONTROLS = [
  CSR.opRunControl,
  CSR.narrowToWideRunControl,
  CSR.wideToNarrowRunControl,
  CSR.meshBus0RunControl,
  CSR.meshBus1RunControl,
  CSR.meshBus2RunControl,
  CSR.meshBus3RunControl,
  CSR.ringBusConsumer0RunControl,
  CSR.ringBusConsumer1RunControl,
  CSR.ringBusProducerRunControl,
] as const;

export const TOP_LEVEL_INT_CONTROLS = [
  CSR.top_level_int_0_control,
  CSR.top_level_int_1_control,
  CSR.top_level_int_2_control,
  CSR.top_level_int_3_control,
] as const;

export const TOP_LEVEL_INT_STATUSES = [
  CSR.top_level_int_0_status,
  CSR.top_level_int_1_status,
  CSR.top_level_int_2_status,
  CSR.top_level_int_3_status,
] as const;

/** Run-control values (protocol §3.2). */
export const RUN_CONTROL = { idle: 0, run: 1, halt: 2, singleStep: 3 } as const;

/** Chip id in omc0_00[15:0] (protocol §1.1, §3.7). */
export const BEAGLE_CHIP_ID = 0x089a;

/** Reads a bit field [hi:lo] of a 32-bit word. */
export function getField(word: number, lo: number, width: number): number {
  return (word >>> lo) & ((1 << width) - 1);
}

/** Returns `word` with the bit field [lo, lo+width) set to `value`. */
export function setField(word: number, lo: number, width: number, value: number): number {
  const mask = ((1 << width) - 1) << lo;
  return ((word & ~mask) | ((value << lo) & mask)) >>> 0;
}

/** scu_ctrl_3 fields (protocol §3.3). */
export const SCU_CTRL_3 = {
  curPwrState: { lo: 8, width: 2 },
  forceSleep: { lo: 22, width: 2 },
  gcbClkdiv: { lo: 28, width: 2 },
  axiClk125m: { lo: 30, width: 1 },
  clk8051At250m: { lo: 31, width: 1 },
} as const;

/** scu_ctrl_2 `rg_gated_gcb` [19:18]: 1 = hardware clock gating, 2 = clock forced on (§3.3). */
export const SCU_CTRL_2_GATED_GCB = { lo: 18, width: 2 } as const;

export type ClockPreset = 'low' | 'medium' | 'high' | 'max';

/** Clock fields of scu_ctrl_3 per performance preset, USB column of protocol §3.4. */
export const CLOCK_PRESETS: Record<ClockPreset, { gcbClkdiv: number; axiClk125m: number; clk8051At250m: number }> = {
  low: { gcbClkdiv: 3, axiClk125m: 1, clk8051At250m: 1 },
  medium: { gcbClkdiv: 2, axiClk125m: 1, clk8051At250m: 0 },
  high: { gcbClkdiv: 1, axiClk125m: 1, clk8051At250m: 0 },
  max: { gcbClkdiv: 0, axiClk125m: 0, clk8051At250m: 0 },
};

/** Applies a clock preset to an scu_ctrl_3 word. */
export function withClock(word: number, preset: ClockPreset): number {
  const c = CLOCK_PRESETS[preset];
  let w = setField(word, SCU_CTRL_3.gcbClkdiv.lo, 2, c.gcbClkdiv);
  w = setField(w, SCU_CTRL_3.axiClk125m.lo, 1, c.axiClk125m);
  return setField(w, SCU_CTRL_3.clk8051At250m.lo, 1, c.clk8051At250m);
}

/** omc0_dc thermal bits (protocol §3.2): write 1 to a clear bit to drop its latched flag. */
export const OMC0_DC = {
  shutdownClear: 1 << 28,
  warningClear: 1 << 29,
  shutdownFlag: 1 << 30,
  warningFlag: 2 ** 31,
} as const;
