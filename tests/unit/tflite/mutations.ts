/**
 * Hostile variants of real model files for fuzzing the readers: bit flips, truncation, corrupted
 * offsets and huge lengths, aimed mostly at the bytes where flatbuffer tables, vtables and
 * vector headers live (the start of the file, of the Edge TPU package and of each executable).
 * Shared by the unit test (a few thousand variants) and `npm run fuzz` (100,000+).
 */
import { findEdgeTpuOps, inspectReadModel } from '../../../src/lib/edgetpu/executable/index.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { readModel, writeModel } from '../../../src/lib/tflite/index.ts';

/** Small, fast, seedable PRNG (mulberry32) so a failing variant can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Target {
  name: string;
  bytes: Uint8Array;
  /** [start, end) ranges where structure (not bulk data) lives. */
  hot: [number, number][];
}

/** Finds the structural regions of a valid model, so mutations hit headers rather than weights. */
export function makeTarget(name: string, bytes: Uint8Array): Target {
  const hot: [number, number][] = [[0, Math.min(bytes.length, 4096)]];
  hot.push([Math.max(0, bytes.length - 4096), bytes.length]);
  const model = readModel(bytes);
  for (const op of findEdgeTpuOps(model)) {
    const pkg = op.options.packageBytes;
    const custom = model.subgraphs[op.subgraphIndex]!.operators[op.opIndex]!.customOptions!;
    hot.push([custom.byteOffset + custom.length - 256, custom.byteOffset + custom.length]);
    hot.push([pkg.byteOffset, pkg.byteOffset + 2048]);
    for (const exe of op.package.executables) {
      const views = [exe.parameters, ...exe.instructionChunks.map((c) => c.bitstream)].filter((v) => v.length > 0);
      for (const v of views) {
        hot.push([Math.max(0, v.byteOffset - 1024), v.byteOffset]);
        hot.push([v.byteOffset + v.length, Math.min(bytes.length, v.byteOffset + v.length + 2048)]);
      }
    }
  }
  return { name, bytes, hot: hot.map(([s, e]) => [Math.max(0, s), Math.min(bytes.length, e)] as [number, number]) };
}

export type MutationKind = 'bitflip' | 'truncate' | 'offset' | 'huge-length' | 'zero-run' | 'swap';
export const MUTATION_KINDS: readonly MutationKind[] = [
  'bitflip',
  'truncate',
  'offset',
  'huge-length',
  'zero-run',
  'swap',
];

export interface Variant {
  kind: MutationKind;
  bytes: Uint8Array;
  /** Undoes the in-place changes (variants share the target's buffer to avoid multi-MB copies). */
  restore(): void;
}

function pick(random: () => number, target: Target): number {
  // 85% of positions in structural regions, the rest anywhere.
  if (random() < 0.85) {
    const [start, end] = target.hot[Math.floor(random() * target.hot.length)]!;
    if (end > start) return start + Math.floor(random() * (end - start));
  }
  return Math.floor(random() * target.bytes.length);
}

/** Applies one random mutation to `target.bytes` in place (or views a prefix for truncation). */
export function mutate(target: Target, random: () => number, kind?: MutationKind): Variant {
  const bytes = target.bytes;
  const chosen = kind ?? MUTATION_KINDS[Math.floor(random() * MUTATION_KINDS.length)]!;
  const saved: [number, number][] = [];
  const set = (at: number, value: number) => {
    if (at < 0 || at >= bytes.length) return;
    saved.push([at, bytes[at]!]);
    bytes[at] = value & 0xff;
  };
  const set32 = (at: number, value: number) => {
    for (let i = 0; i < 4; i++) set(at + i, value >>> (8 * i));
  };
  switch (chosen) {
    case 'truncate': {
      const cut =
        random() < 0.5 ? Math.floor(random() * Math.min(bytes.length, 8192)) : Math.floor(random() * bytes.length);
      return { kind: chosen, bytes: bytes.subarray(0, cut), restore: () => {} };
    }
    case 'bitflip': {
      const flips = 1 + Math.floor(random() * 8);
      for (let i = 0; i < flips; i++) {
        const at = pick(random, target);
        set(at, bytes[at]! ^ (1 << Math.floor(random() * 8)));
      }
      break;
    }
    case 'offset': {
      // Replace an aligned 32-bit word (an offset, in structural regions) with a nearby or wild value.
      const at = pick(random, target) & ~3;
      const old = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
      const choices = [
        old + 4,
        old - 4,
        old + 1,
        0,
        0xffffffff,
        0x80000000,
        bytes.length,
        Math.floor(random() * 2 ** 32),
      ];
      set32(at, choices[Math.floor(random() * choices.length)]!);
      break;
    }
    case 'huge-length': {
      const at = pick(random, target) & ~3;
      const choices = [0x7fffffff, 0x3fffffff, 0x10000000, bytes.length, bytes.length * 2, 0xffffffff];
      set32(at, choices[Math.floor(random() * choices.length)]!);
      break;
    }
    case 'zero-run': {
      const at = pick(random, target);
      const length = 1 + Math.floor(random() * 64);
      const value = random() < 0.5 ? 0 : 0xff;
      for (let i = 0; i < length; i++) set(at + i, value);
      break;
    }
    case 'swap': {
      // Copy a word from elsewhere in the file: plausible-looking but wrong offsets.
      const from = pick(random, target) & ~3;
      const to = pick(random, target) & ~3;
      for (let i = 0; i < 4; i++) set(to + i, bytes[from + i] ?? 0);
      break;
    }
  }
  return {
    kind: chosen,
    bytes,
    restore: () => {
      for (let i = saved.length - 1; i >= 0; i--) bytes[saved[i]![0]] = saved[i]![1];
    },
  };
}

/**
 * Parses like an engine would (model, Edge TPU packages, inspection; small models are written
 * back and re-read). Returns 'ok' or the ReefError reason; any other exception propagates.
 */
export function exercise(bytes: Uint8Array): 'ok' | string {
  try {
    const model = readModel(bytes);
    findEdgeTpuOps(model);
    inspectReadModel(model, bytes.length);
    if (bytes.length < 200_000) readModel(writeModel(model));
    return 'ok';
  } catch (error) {
    if (error instanceof ReefError && error.reason) return error.reason;
    throw error;
  }
}
