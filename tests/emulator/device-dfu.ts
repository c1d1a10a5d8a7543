/**
 * The bootloader's side of USB DFU 1.1 as protocol §2.4 lists it: request numbers, bState values
 * and the 6-byte GETSTATUS reply. The emulator's own copy, so the driver's DFU encoding is checked
 * against the spec rather than against itself.
 */

export const DFU_DETACH = 0;
export const DFU_DNLOAD = 1;
export const DFU_UPLOAD = 2;
export const DFU_GETSTATUS = 3;
export const DFU_CLRSTATUS = 4;
export const DFU_GETSTATE = 5;
export const DFU_ABORT = 6;

/** bState values (§2.4). */
export const DFU_STATE = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;

export interface DfuStatusReply {
  /** bStatus: 0 OK, else a DFU 1.1 error code. */
  status: number;
  /** bwPollTimeout, 24-bit milliseconds. */
  pollTimeoutMs: number;
  state: number;
  iString: number;
}

/** GETSTATUS reply: bStatus, bwPollTimeout (3 bytes LE), bState, iString. */
export function encodeDfuStatus(reply: DfuStatusReply): Uint8Array {
  const bytes = new Uint8Array(6);
  bytes[0] = reply.status;
  for (let i = 0; i < 3; i++) bytes[1 + i] = (reply.pollTimeoutMs >>> (8 * i)) & 0xff;
  bytes[4] = reply.state;
  bytes[5] = reply.iString;
  return bytes;
}
