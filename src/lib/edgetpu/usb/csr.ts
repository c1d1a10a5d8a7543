/**
 * CSR access over EP0 with vendor control transfers (protocol §3.1): bRequest 0 = 64-bit, 1 =
 * 32-bit register; wValue = low 16 bits of the offset, wIndex = high 16 bits; little-endian data.
 */
import { ReefError } from '../../errors.ts';
import { csrName, csrWidth } from './registers.ts';
import type { UsbTransport } from './transfer.ts';

/** bRequest values (protocol §3.1). */
export const CSR_REQUEST_64 = 0;
export const CSR_REQUEST_32 = 1;

function setup(offset: number, width: 32 | 64) {
  return {
    requestType: 'vendor' as const,
    recipient: 'device' as const,
    request: width === 64 ? CSR_REQUEST_64 : CSR_REQUEST_32,
    value: offset & 0xffff,
    index: offset >>> 16,
  };
}

function checkWidth(offset: number, width: 32 | 64): void {
  if (csrWidth(offset) !== width) {
    throw new ReefError('INTERNAL', `CSR ${csrName(offset)} is ${csrWidth(offset)}-bit, accessed as ${width}-bit`, {
      reason: 'csr-width',
    });
  }
}

/** libedgetpu retries a failing control transfer up to 5 times (protocol §3.1); a stall is worth retrying. */
const CONTROL_ATTEMPTS = 5;

async function retried<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= CONTROL_ATTEMPTS || !(error instanceof ReefError) || error.reason !== 'stall') throw error;
    }
  }
}

export async function readCsr32(usb: UsbTransport, offset: number): Promise<number> {
  checkWidth(offset, 32);
  const data = await retried(() => usb.controlIn(setup(offset, 32), 4, { context: `readCsr32(${csrName(offset)})` }));
  return new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
}

export async function writeCsr32(usb: UsbTransport, offset: number, value: number): Promise<void> {
  checkWidth(offset, 32);
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value >>> 0, true);
  await retried(() => usb.controlOut(setup(offset, 32), data, { context: `writeCsr32(${csrName(offset)})` }));
}

export async function readCsr64(usb: UsbTransport, offset: number): Promise<bigint> {
  checkWidth(offset, 64);
  const data = await retried(() => usb.controlIn(setup(offset, 64), 8, { context: `readCsr64(${csrName(offset)})` }));
  return new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
}

export async function writeCsr64(usb: UsbTransport, offset: number, value: bigint | number): Promise<void> {
  checkWidth(offset, 64);
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigUint64(0, BigInt(value), true);
  await retried(() => usb.controlOut(setup(offset, 64), data, { context: `writeCsr64(${csrName(offset)})` }));
}

export interface PollOptions {
  timeoutMs: number;
  /** Pause between reads (LibrEdgeTPU: 1 ms); 0 re-reads at once. */
  intervalMs?: number;
}

/** Re-reads a register until `done(value)`; libedgetpu polls forever, we stop at the timeout (§3.1). */
export async function pollCsr<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  options: PollOptions,
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline) {
      throw new ReefError(
        'DEADLINE_EXCEEDED',
        `${what} did not happen within ${options.timeoutMs} ms (last ${String(value)})`,
        {
          reason: 'poll-timeout',
        },
      );
    }
    if (options.intervalMs) await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
