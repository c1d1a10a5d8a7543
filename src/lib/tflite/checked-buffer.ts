import { ByteBuffer } from 'flatbuffers';
import { modelError } from './errors.ts';

/**
 * A flatbuffers ByteBuffer that refuses to read outside its bytes. The generated accessors trust
 * every offset in the file; reading hostile bytes through them would silently return zeros for
 * out-of-range reads and loop over absurd vector lengths. All reads of generated code funnel
 * through readUint8 / readUint16 / readInt32, __string and __vector_len, so checking those is
 * enough to make every generated accessor bounds-checked.
 *
 * `budget` caps the number of vector elements a reader may visit: valid data never needs more
 * than one element per 4 bytes of file, while aliased offsets in hostile data could otherwise make
 * a walk quadratic.
 */
export class CheckedByteBuffer extends ByteBuffer {
  readonly what: string;
  private readonly size: number;
  private budget: number;
  private high = 0;

  constructor(bytes: Uint8Array, what: string) {
    super(bytes);
    this.what = what;
    this.size = bytes.length;
    this.budget = bytes.length + 4096;
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

  charge(elements: number): void {
    this.budget -= elements;
    if (this.budget < 0)
      throw modelError('malformed', `${this.what}: vectors reference the same bytes over and over (aliased offsets)`);
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
