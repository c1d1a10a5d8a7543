/**
 * The application personality's bulk protocol (protocol §1.2, §4.2–§4.7): endpoint numbers, the
 * 8-byte header that frames every host→device stream on EP 0x01, the 16-byte event descriptors of
 * EP 0x82 and the 4-byte interrupt word of EP 0x83.
 */
import { ReefError } from '../../errors.ts';

/** WebUSB endpoint numbers (without the direction bit) of the app interface (protocol §1.2). */
export const ENDPOINT = {
  /** bulk OUT 0x01: all host→device streams in single-endpoint mode. */
  bulkOut: 1,
  /** bulk IN 0x81: output activations. */
  outputIn: 1,
  /** bulk IN 0x82: 16-byte event descriptors. */
  eventIn: 2,
  /** interrupt IN 0x83: 4-byte interrupt status word. */
  interruptIn: 3,
} as const;

/** Descriptor tags (protocol §4.2). */
export const TAG = {
  instructions: 0,
  inputActivations: 1,
  parameters: 2,
  outputActivations: 3,
  scalarCoreInterrupt0: 4,
} as const;
export type OutTag = 0 | 1 | 2;

export const HEADER_BYTES = 8;
export const EVENT_BYTES = 16;
export const INTERRUPT_BYTES = 4;

/** `[u32 length][u8 tag][3 zero bytes]` (protocol §4.3). */
export function encodeHeader(length: number, tag: OutTag, into = new Uint8Array(HEADER_BYTES), at = 0): Uint8Array {
  if (!Number.isInteger(length) || length <= 0 || length > 0xffffffff) {
    throw new ReefError('INTERNAL', `bulk header: bad payload length ${length}`, { reason: 'bad-length' });
  }
  into[at] = length & 0xff;
  into[at + 1] = (length >>> 8) & 0xff;
  into[at + 2] = (length >>> 16) & 0xff;
  into[at + 3] = (length >>> 24) & 0xff;
  into[at + 4] = tag;
  into[at + 5] = 0;
  into[at + 6] = 0;
  into[at + 7] = 0;
  return into;
}

export interface EventDescriptor {
  /** Device virtual address of the DMA (0 for interrupts). */
  address: bigint;
  length: number;
  tag: number;
}

/** A 16-byte event (protocol §4.6); anything else is data loss. */
export function decodeEvent(bytes: Uint8Array): EventDescriptor {
  if (bytes.length !== EVENT_BYTES) {
    throw new ReefError('DATA_LOSS', `event endpoint returned ${bytes.length} bytes, expected 16`, {
      reason: 'bad-event',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, EVENT_BYTES);
  return { address: view.getBigUint64(0, true), length: view.getUint32(8, true), tag: bytes[12]! & 0xf };
}

/** The interrupt word of EP 0x83 (protocol §4.7): bit0 fatal, bits 1–4 top-level interrupts 0–3. */
export interface InterruptWord {
  fatal: boolean;
  topLevel: number[];
  raw: number;
}

export function decodeInterrupt(bytes: Uint8Array): InterruptWord {
  if (bytes.length < INTERRUPT_BYTES) {
    throw new ReefError('DATA_LOSS', `interrupt endpoint returned ${bytes.length} bytes, expected 4`, {
      reason: 'bad-interrupt',
    });
  }
  const raw = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const topLevel = [0, 1, 2, 3].filter((k) => raw & (1 << (k + 1)));
  return { fatal: (raw & 1) !== 0, topLevel, raw };
}

export const TOP_LEVEL_INTERRUPT_NAMES = [
  'thermal shutdown',
  'PCIe/AXI error',
  'BIST/PLL/boot failure',
  'thermal warning',
];
