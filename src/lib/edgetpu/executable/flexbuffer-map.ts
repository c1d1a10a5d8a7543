import { modelError } from '../../tflite/index.ts';

/**
 * A minimal, bounds-checked reader for the one FlexBuffer shape Edge TPU models use: a root map
 * of small keys to ints, strings and int vectors. flatbuffers' own flexbuffers reader needs a
 * private copy of the whole (multi-megabyte) ArrayBuffer and decodes strings as UTF-8, while the
 * package under key "4" is binary and should stay a view of the model bytes; the unit tests check
 * this reader against flatbuffers' flexbuffers on every fixture.
 */

const TYPE_INT = 1;
const TYPE_UINT = 2;
const TYPE_STRING = 5;
const TYPE_INDIRECT_INT = 6;
const TYPE_INDIRECT_UINT = 7;
const TYPE_MAP = 9;
const TYPE_VECTOR = 10;
const TYPE_VECTOR_INT = 11;
const TYPE_VECTOR_UINT = 12;
const TYPE_BLOB = 25;
const TYPE_BOOL = 26;

export type FlexValue =
  | { type: 'int'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'ints'; value: number[]; length: number }
  | { type: 'other'; flexType: number };

class Reader {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  uint(at: number, width: number): number {
    if (!(at >= 0 && at + width <= this.bytes.length))
      throw modelError('offset-out-of-range', `FlexBuffer read of ${width} bytes at ${at} is out of range`);
    let value = 0;
    // Widths of 8 bytes only appear for offsets and lengths here; anything >= 2^53 is out of range anyway.
    for (let i = width - 1; i >= 0; i--) value = value * 256 + (this.bytes[at + i] ?? 0);
    return value;
  }

  int(at: number, width: number): number {
    const value = this.uint(at, width);
    const limit = 2 ** (8 * width - 1);
    return value >= limit ? value - 2 * limit : value;
  }

  indirect(at: number, width: number): number {
    const target = at - this.uint(at, width);
    if (target < 0) throw modelError('offset-out-of-range', `FlexBuffer offset at ${at} points before the buffer`);
    return target;
  }
}

function widthOf(packed: number): number {
  return 1 << (packed & 3);
}

function readValue(r: Reader, at: number, parentWidth: number, packed: number): FlexValue {
  const type = packed >> 2;
  switch (type) {
    case TYPE_INT:
    case TYPE_BOOL:
      return { type: 'int', value: r.int(at, parentWidth) };
    case TYPE_UINT:
      return { type: 'int', value: r.uint(at, parentWidth) };
    case TYPE_INDIRECT_INT:
      return { type: 'int', value: r.int(r.indirect(at, parentWidth), widthOf(packed)) };
    case TYPE_INDIRECT_UINT:
      return { type: 'int', value: r.uint(r.indirect(at, parentWidth), widthOf(packed)) };
    case TYPE_STRING:
    case TYPE_BLOB: {
      const start = r.indirect(at, parentWidth);
      const width = widthOf(packed);
      const length = r.uint(start - width, width);
      if (start + length > r.bytes.length)
        throw modelError('offset-out-of-range', `FlexBuffer string of ${length} bytes at ${start} is out of range`);
      return { type: 'bytes', value: r.bytes.subarray(start, start + length) };
    }
    case TYPE_VECTOR:
    case TYPE_VECTOR_INT:
    case TYPE_VECTOR_UINT: {
      const start = r.indirect(at, parentWidth);
      const width = widthOf(packed);
      const length = r.uint(start - width, width);
      if (start + length * width > r.bytes.length)
        throw modelError('offset-out-of-range', `FlexBuffer vector of ${length} elements at ${start} is out of range`);
      const value: number[] = [];
      const shown = Math.min(length, 1024);
      for (let i = 0; i < shown; i++) {
        const elementType = type === TYPE_VECTOR ? r.uint(start + length * width + i, 1) >> 2 : type - 10;
        const at = start + i * width;
        value.push(elementType === TYPE_UINT ? r.uint(at, width) : r.int(at, width));
      }
      return { type: 'ints', value, length };
    }
    default:
      return { type: 'other', flexType: type };
  }
}

/** Decodes a FlexBuffer whose root is a map; values are returned by key. */
export function readFlexMap(bytes: Uint8Array): Map<string, FlexValue> {
  const r = new Reader(bytes);
  if (bytes.length < 3) throw modelError('truncated', `FlexBuffer of ${bytes.length} bytes is too short`);
  const rootWidth = r.uint(bytes.length - 1, 1);
  const rootPacked = r.uint(bytes.length - 2, 1);
  if (![1, 2, 4, 8].includes(rootWidth)) throw modelError('malformed', `FlexBuffer root width ${rootWidth} is invalid`);
  if (rootPacked >> 2 !== TYPE_MAP) throw modelError('malformed', 'FlexBuffer root is not a map');
  const map = r.indirect(bytes.length - 2 - rootWidth, rootWidth);
  const width = widthOf(rootPacked);
  const length = r.uint(map - width, width);
  if (length > 256) throw modelError('malformed', `FlexBuffer map has ${length} keys`);
  const keysAt = r.indirect(map - 3 * width, width);
  const keysWidth = r.uint(map - 2 * width, width);
  if (![1, 2, 4, 8].includes(keysWidth)) throw modelError('malformed', `FlexBuffer key width ${keysWidth} is invalid`);
  const result = new Map<string, FlexValue>();
  for (let i = 0; i < length; i++) {
    const keyStart = r.indirect(keysAt + i * keysWidth, keysWidth);
    let keyEnd = keyStart;
    while (keyEnd < bytes.length && bytes[keyEnd] !== 0 && keyEnd - keyStart < 256) keyEnd++;
    if (keyEnd >= bytes.length || bytes[keyEnd] !== 0)
      throw modelError('malformed', 'FlexBuffer key is not terminated');
    const key = String.fromCharCode(...bytes.subarray(keyStart, keyEnd));
    const packed = r.uint(map + length * width + i, 1);
    result.set(key, readValue(r, map + i * width, width, packed));
  }
  return result;
}
