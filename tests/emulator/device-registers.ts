/**
 * The chip's register map as the emulated firmware exposes it, written from protocol §3.2–§3.4
 * (libedgetpu's register names). It is deliberately the emulator's own table, not the driver's: a
 * register address the driver gets wrong must land on an unknown or a different register here, so
 * the open sequence fails instead of agreeing with itself.
 */

/** 32-bit "apex" top level, block 0x1xxxx (§3.2). */
const TOP_LEVEL = {
  gcbb_credit0: 0x1907c,
  omc0_00: 0x1a000,
  omc0_d0: 0x1a0d0,
  omc0_d4: 0x1a0d4,
  omc0_d8: 0x1a0d8,
  omc0_dc: 0x1a0dc,
  efuse_00: 0x1a200,
  scu_ctrl_0: 0x1a30c,
  scu_ctrl_1: 0x1a310,
  scu_ctrl_2: 0x1a314,
  scu_ctrl_3: 0x1a318,
  scu_ctrl_4: 0x1a31c,
  scu_ctrl_5: 0x1a320,
  scu_ctr_6: 0x1a32c,
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
  bridge_fifo_status_0: 0x19018,
  bridge_fifo_status_1: 0x1901c,
  bridge_fifo_status_2: 0x19020,
  bridge_fifo_status_3: 0x19024,
} as const;

/** 64-bit DarwiNN core, tiles and USB bridge block, 0x4xxxx (§3.2). */
const CORE = {
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

export const CSR = { ...TOP_LEVEL, ...CORE } as const;
export type CsrName = keyof typeof CSR;

const NAMES = new Map<number, string>(Object.entries(CSR).map(([name, offset]) => [offset, name]));

/** Every offset the emulated chip answers; anything else is a loud protocol error (§8 #7). */
export const KNOWN_REGISTERS: ReadonlySet<number> = new Set(NAMES.keys());

export function registerName(offset: number): string {
  return NAMES.get(offset) ?? `0x${offset.toString(16)}`;
}

/** The width a register has on the chip: the top-level block is 32-bit, the core block 64-bit (§3.1). */
export function registerWidth(offset: number): 32 | 64 | undefined {
  if ((Object.values(TOP_LEVEL) as number[]).includes(offset)) return 32;
  if ((Object.values(CORE) as number[]).includes(offset)) return 64;
  return undefined;
}

/** Values read after firmware load + port reset (§3.2, from the capture); the rest read 0. */
export const RESET_VALUES: ReadonlyMap<number, bigint> = new Map([
  [CSR.omc0_00, 0x0219089an],
  [CSR.omc0_d4, 0x00000001n],
  [CSR.omc0_d8, 0x00000000n],
  [CSR.scu_ctrl_0, 0x000f0059n],
  [CSR.scu_ctrl_2, 0x00110000n],
  [CSR.scu_ctrl_3, 0x50c5025cn],
  [CSR.scu_ctr_7, 0x000c003fn],
  [CSR.rambist_ctrl_1, 0x0070007fn],
]);

/** Interrupt status registers are write-0-to-clear (§3.2, last paragraph). */
export const WRITE_ZERO_TO_CLEAR: ReadonlySet<number> = new Set([
  CSR.fatal_err_int_status,
  CSR.top_level_int_0_status,
  CSR.top_level_int_1_status,
  CSR.top_level_int_2_status,
  CSR.top_level_int_3_status,
]);

/** The 5 scalar-core run controls (§3.5 step 22). */
export const SCALAR_CORE_RUN_CONTROLS: readonly number[] = [
  CSR.scalarCoreRunControl,
  CSR.avDataPopRunControl,
  CSR.parameterPopRunControl,
  CSR.infeedRunControl,
  CSR.outfeedRunControl,
];

/** The 10 tile run controls: 3 datapath, 4 mesh, 3 ring (§3.5 step 24, §8 #9). */
export const TILE_RUN_CONTROLS: readonly number[] = [
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
];

/** Bits [lo, lo+width) of a 32-bit word. */
export function getField(word: number, lo: number, width: number): number {
  return (word >>> lo) & ((1 << width) - 1);
}

export function setField(word: number, lo: number, width: number, value: number): number {
  const mask = ((1 << width) - 1) << lo;
  return ((word & ~mask) | ((value << lo) & mask)) >>> 0;
}

export type ClockPreset = 'low' | 'medium' | 'high' | 'max';

/**
 * The clock preset from the top nibble of scu_ctrl_3, as the USB column of §3.4 lists it (bit 31
 * 8051 at 250 MHz, bit 30 AXI at 125 MHz, bits 29:28 core divider); undefined for other nibbles.
 */
export function clockOf(scuCtrl3: number): ClockPreset | undefined {
  const nibble = scuCtrl3 >>> 28;
  const presets: Record<number, ClockPreset> = { 0xf: 'low', 0x6: 'medium', 0x5: 'high', 0x0: 'max' };
  return presets[nibble];
}
