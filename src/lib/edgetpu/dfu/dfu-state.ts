/**
 * The bootloader's state machine from the host's side (DFU 1.1, protocol §2.4). A stick may be in
 * any state when a flash starts: a tab closed mid-download leaves it in dfuDNLOAD-IDLE expecting
 * the next block, a refused block leaves it in dfuERROR. Both must be undone over USB, or only a
 * replug would help. While it is busy (writing a block, manifesting) it says for how long in
 * bwPollTimeout, and the next GETSTATUS must wait that long.
 */
import { ReefError } from '../../errors.ts';
import {
  DFU_STATE,
  DFU_STATE_NAMES,
  DFU_STATUS_OK,
  dfuAbort,
  dfuClearStatus,
  dfuGetStatus,
  type DfuStatus,
} from '../usb/dfu.ts';
import type { UsbTransport } from '../usb/transfer.ts';

/** States that end on their own; GETSTATUS is repeated after bwPollTimeout. */
const BUSY = new Set<number>([
  DFU_STATE.dfuDNLOAD_SYNC,
  DFU_STATE.dfuDNBUSY,
  DFU_STATE.dfuMANIFEST_SYNC,
  DFU_STATE.dfuMANIFEST,
]);

/** Longest wait the driver accepts for one bwPollTimeout (the field allows 4.6 hours). */
const MAX_POLL_MS = 5000;

export interface DfuWaitOptions {
  /** Total time the bootloader may stay busy before it counts as stuck. */
  busyBudgetMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function stateName(state: number): string {
  return DFU_STATE_NAMES[state] ?? `state ${state}`;
}

/** GETSTATUS until the bootloader is no longer busy, waiting bwPollTimeout between requests. */
export async function settledStatus(usb: UsbTransport, iface: number, options: DfuWaitOptions): Promise<DfuStatus> {
  const started = performance.now();
  let status = await dfuGetStatus(usb, iface);
  while (BUSY.has(status.state) && status.status === DFU_STATUS_OK) {
    const wait = Math.min(status.pollTimeoutMs, MAX_POLL_MS);
    if (performance.now() - started + wait > options.busyBudgetMs) {
      throw new ReefError(
        'DEADLINE_EXCEEDED',
        `the Coral's bootloader stayed in ${stateName(status.state)} for more than ${options.busyBudgetMs} ms; replug the stick`,
        { reason: 'dfu-busy' },
      );
    }
    await sleep(wait + 1); // timers may fire a millisecond early
    status = await dfuGetStatus(usb, iface);
  }
  return status;
}

/**
 * Brings the bootloader to dfuIDLE from whatever state a previous session left it in: waits out
 * busy states, clears dfuERROR (CLRSTATUS), and abandons a half-done download or upload (ABORT).
 */
export async function toDfuIdle(usb: UsbTransport, iface: number, options: DfuWaitOptions): Promise<void> {
  const seen: string[] = [];
  for (let step = 0; step < 6; step++) {
    const status = await settledStatus(usb, iface, options);
    seen.push(stateName(status.state));
    switch (status.state) {
      case DFU_STATE.dfuIDLE:
        if (status.status === DFU_STATUS_OK) return;
        await dfuClearStatus(usb, iface);
        break;
      case DFU_STATE.dfuERROR:
        await dfuClearStatus(usb, iface);
        break;
      case DFU_STATE.dfuDNLOAD_IDLE:
      case DFU_STATE.dfuUPLOAD_IDLE:
        await dfuAbort(usb, iface);
        break;
      case DFU_STATE.dfuMANIFEST_WAIT_RESET:
        throw new ReefError(
          'FAILED_PRECONDITION',
          'the Coral finished a firmware download and waits for a USB reset; reconnect it or reload the page',
          { reason: 'dfu-wait-reset' },
        );
      default:
        throw new ReefError(
          'FAILED_PRECONDITION',
          `the Coral's bootloader is in ${stateName(status.state)}, not a DFU state a download can start from`,
          { reason: 'dfu-state' },
        );
    }
  }
  throw new ReefError(
    'FAILED_PRECONDITION',
    `the Coral's bootloader does not return to dfuIDLE (went through ${seen.join(' → ')}); replug the stick`,
    { reason: 'dfu-stuck' },
  );
}
