import { ByteBuffer } from 'flatbuffers';
import { modelError } from './errors.ts';

/** Bytes charged per decoded vector element (a number, or a table object and its offset). */
export const ELEMENT_COST = 16;
/**
 * Bytes charged per byte of a decoded string. Decoding is the expensive part (TextDecoder turns
 * bytes that are not UTF-8 into replacement characters at ~20 MB/s), so strings cost more than
 * their length; real names and custom codes are a small part of any model.
 */
export const STRING_COST = 8;
/** A valid flatbuffer decodes to at most this many times its size in charged bytes. */
export const DECODE_FACTOR = 4;
/** The most a single flatbuffer walk may decode (structure only: weights stay views of the file). */
export const MAX_DECODED_BYTES = 32 * 1024 * 1024;

/**
 * A flatbuffers ByteBuffer that refuses to read outside its bytes. The generated accessors trust
 * every offset in the file; reading hostile bytes through them would silently return zeros for
 * out-of-range reads and loop over absurd vector lengths. All reads of generated code funnel
 * through readUint8 / readUint16 / readInt32, __string and __vector_len, so checking those is
 * enough to make every generated accessor bounds-checked.
 *
 * `budget` caps what a walk may decode, in charged bytes: every string costs STRING_COST × its
 * length, every vector element ELEMENT_COST (a JS number or a decoded table). A valid model decodes
 * each of its bytes once, so it stays within DECODE_FACTOR × its size plus 1 MiB (its names are a
 * small part of it); aliased offsets in hostile data (30,000 tensors sharing one 64 KiB name)
 * would otherwise turn kilobytes into gigabytes. MAX_DECODED_BYTES caps it whatever the file size.
 */
export class CheckedByteBuffer extends ByteBuffer {
  readonly what: string;
  private readonly size: number;
  private budget: number;
  private readonly limit: number;
  private high = 0;

  constructor(bytes: Uint8Array, what: string) {
    super(bytes);
    this.what = what;
    this.size = bytes.length;
    this.budget = this.limit = Math.min(DECODE_FACTOR * bytes.length + 1024 * 1024, MAX_DECODED_BYTES);
  }

  private fail(offset: number, width: number): never {
    throw modelError(
      'offset-out-of-range',
      `${this.what}: read of ${width} bytes at offset ${offset} is outside the ${this.size}-byte buffer`,
    );
  }

  override readUint8(offset: number): number {
    if (!(offset >= 0 && offset < this.size)) this.fail(offset, 1);
    if (offset >= this.high) this.high = offset + 1;
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    if (!(offset >= 0 && offset + 2 <= this.size)) this.fail(offset, 2);
    if (offset + 2 > this.high) this.high = offset + 2;
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    if (!(offset >= 0 && offset + 4 <= this.size)) this.fail(offset, 4);
    if (offset + 4 > this.high) this.high = offset + 4;
    return super.readInt32(offset);
  }

  override __string(offset: number): string;
  override __string(offset: number, encoding: number): string | Uint8Array;
  override __string(offset: number, encoding?: number): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length > this.size) this.fail(start + 4, length);
    this.touch(start + 4 + length);
    this.chargeBytes(length * STRING_COST + ELEMENT_COST);
    return encoding === undefined ? super.__string(offset) : super.__string(offset, encoding);
  }

  override __vector_len(offset: number): number {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length > this.size) this.fail(start + 4, length);
    return length;
  }

  /**
   * Length of the vector referenced at `offset`, checked for `elementSize`-byte elements, and
   * charged against the walk budget.
   */
  vectorLength(offset: number, elementSize: number): number {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length * elementSize > this.size) this.fail(start + 4, length * elementSize);
    this.touch(start + 4 + length * elementSize);
    this.charge(length);
    return length;
  }

  private touch(end: number): void {
    if (end > this.high) this.high = end;
  }

  /** End of the furthest byte read so far: where the flatbuffer ends when it has been walked. */
  highWater(): number {
    return this.high;
  }

  /** Charges `elements` decoded vector elements against the walk budget. */
  charge(elements: number): void {
    this.chargeBytes(elements * ELEMENT_COST);
  }

  chargeBytes(bytes: number): void {
    this.budget -= bytes;
    if (this.budget < 0)
      throw modelError(
        'too-large',
        `${this.what}: decoding it needs more than ${this.limit} bytes of structure, the most allowed for a ${this.size}-byte file (offsets point at the same data over and over)`,
      );
  }

  /** Bytes of a string (or [ubyte]) whose offset field is at `offset`, as a view. */
  bytesAt(offset: number): Uint8Array {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0 || start + 4 + length > this.size) this.fail(start + 4, length);
    this.touch(start + 4 + length);
    return this.bytes().subarray(start + 4, start + 4 + length);
  }
}
