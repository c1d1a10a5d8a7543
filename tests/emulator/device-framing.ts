/**
 * The device's side of the bulk protocol, written from protocol §4.2–§4.7 (not from the driver's
 * framing code, so a framing bug in the driver cannot pass by agreeing with itself): it parses the
 * 8-byte headers of the EP 0x01 stream and encodes the 16-byte events of EP 0x82 and the 4-byte
 * interrupt word of EP 0x83.
 */
import { EmulatorProtocolError } from './errors.ts';

/** Descriptor tags (§4.2). */
export const TAG = {
  instructions: 0,
  inputActivations: 1,
  parameters: 2,
  outputActivations: 3,
  scalarCoreInterrupt0: 4,
} as const;

export const HEADER_BYTES = 8;
export const EVENT_BYTES = 16;
export const INTERRUPT_BYTES = 4;

export interface BulkHeader {
  length: number;
  tag: number;
}

/**
 * `[u32 length LE][tag byte][3 zero bytes]` (§4.3). The device refuses tags other than 0/1/2, a
 * non-zero upper tag nibble, non-zero pad bytes and length 0 (§8 #11).
 */
export function decodeHeader(bytes: Uint8Array): BulkHeader {
  if (bytes.length < HEADER_BYTES) throw new EmulatorProtocolError(`bulk header of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const length = view.getUint32(0, true);
  const tag = view.getUint8(4);
  if (view.getUint8(5) !== 0 || view.getUint8(6) !== 0 || view.getUint8(7) !== 0)
    throw new EmulatorProtocolError('bulk header pad bytes 5–7 are not zero');
  if (tag > TAG.parameters)
    throw new EmulatorProtocolError(`bulk header tag byte 0x${tag.toString(16)} (only 0, 1 or 2 go host→device)`);
  if (length === 0) throw new EmulatorProtocolError('bulk header with length 0');
  return { length, tag };
}

export interface EventDescriptor {
  /** Device virtual address of the DMA; 0 for interrupts. */
  address: bigint;
  length: number;
  tag: number;
}

/** §4.6: bytes 0–7 address, 8–11 length, 12 tag in the low nibble, 13–15 zero. */
export function encodeEvent(event: EventDescriptor): Uint8Array {
  const bytes = new Uint8Array(EVENT_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, event.address, true);
  view.setUint32(8, event.length, true);
  view.setUint8(12, event.tag & 0x0f);
  return bytes;
}

/** §4.7: bit 0 fatal error, bits 1–4 top-level interrupts 0–3, as one u32 LE. */
export function encodeInterruptWord(word: number): Uint8Array {
  const bytes = new Uint8Array(INTERRUPT_BYTES);
  new DataView(bytes.buffer).setUint32(0, word >>> 0, true);
  return bytes;
}
