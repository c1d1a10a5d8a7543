/**
 * Descriptor mode (descr_ep = 0xFF, protocol §4.6): the device reports every DMA it performs on
 * 0x82. The reports need not match the hints one to one: the device may split one hinted DMA into
 * several reports or merge neighbouring ones into one.
 *
 * What is a guess: no capture of descriptor mode exists, and libedgetpu only shows that it matches
 * reports to hints by address and length and turns an unpredicted report into a new transfer. This
 * ledger assumes that, per tag, the reports arrive in hint order and tile the hinted byte ranges
 * exactly: each report starts where the previous one ended, and together they cover every hinted
 * byte, no more and no less. Anything else is DATA_LOSS.
 */
import { ReefError } from '../../errors.ts';
import type { DeviceStreams } from './device-streams.ts';
import type { DmaReport } from './streamable-program.ts';

/** Where the reports come from: the device streams (0x82). */
export type ReportSource = Pick<DeviceStreams, 'takeDescriptor'>;

interface Expected {
  address: bigint;
  length: number;
  what: string;
}

export class DmaReportLedger {
  readonly #label: string;
  /** Hinted DMAs per tag, in hint order. */
  readonly #expected = new Map<number, Expected[]>();

  constructor(label: string) {
    this.#label = label;
  }

  expect(report: DmaReport, what: string): void {
    let list = this.#expected.get(report.tag);
    if (!list) this.#expected.set(report.tag, (list = []));
    list.push({ address: report.address, length: report.length, what });
  }

  /** Takes the device's reports until every hinted byte is accounted for; then starts over. */
  async settle(streams: ReportSource, timeoutMs: number): Promise<void> {
    try {
      for (const [tag, list] of this.#expected) await this.#settleTag(streams, tag, list, timeoutMs);
    } finally {
      this.#expected.clear();
    }
  }

  async #settleTag(streams: ReportSource, tag: number, list: readonly Expected[], timeoutMs: number): Promise<void> {
    let carry: { address: bigint; length: bigint } | undefined;
    for (const hinted of list) {
      const end = hinted.address + BigInt(hinted.length);
      let at = hinted.address;
      while (at < end) {
        let piece = carry;
        carry = undefined;
        if (!piece) {
          const got = await streams.takeDescriptor(tag, `DMA report for ${hinted.what}`, timeoutMs);
          piece = { address: got.address, length: BigInt(got.length) };
        }
        if (piece.address !== at || piece.length <= 0n) {
          throw this.#mismatch(hinted, at, piece);
        }
        const pieceEnd = piece.address + piece.length;
        // A report reaching past this hint carries on into the next hint of the same tag (merged DMAs).
        if (pieceEnd > end) carry = { address: end, length: pieceEnd - end };
        at = pieceEnd < end ? pieceEnd : end;
      }
    }
    if (carry) {
      throw new ReefError(
        'DATA_LOSS',
        `${this.#label}: the device reported ${carry.length} bytes at 0x${carry.address.toString(16)} (tag ${tag}) beyond every hinted DMA`,
        { reason: 'descriptor-mismatch' },
      );
    }
  }

  #mismatch(hinted: Expected, at: bigint, got: { address: bigint; length: bigint }): ReefError {
    return new ReefError(
      'DATA_LOSS',
      `${this.#label}: the device reported ${hinted.what} at 0x${got.address.toString(16)} (+${got.length}), ` +
        `expected the bytes from 0x${at.toString(16)} of 0x${hinted.address.toString(16)} (+${hinted.length})`,
      { reason: 'descriptor-mismatch' },
    );
  }
}
