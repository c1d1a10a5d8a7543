/**
 * `npm run fuzz [-- <variants> [<seed>]] [--structure]`: the long run of the model-reader fuzzer
 * (the unit suite runs a short one of each mode).
 *
 * - bytes (default): mutates every fixture model's bytes (bit flips, truncation, corrupted
 *   offsets, huge lengths, zeroed runs, swapped words).
 * - `--structure`: mutates what the bytes mean (tests/unit/tflite/structural-mutations.ts):
 *   aliasing (names, tensor tables and indices repointed at one target; generated models sharing
 *   one 64 KiB string 40,000 times), lying sizes (shapes, vector lengths, buffer indices, Edge TPU
 *   executable sizes) and ZIPs appended after the flatbuffer (overlap and size-lie bombs, EOCD
 *   floods, damaged archives).
 *
 * Each variant must parse or fail with a typed ReefError. Prints the outcomes and the figures the
 * issue asks for — untyped errors, hangs (an input over PER_INPUT_LIMIT_MS), peak RSS — and exits
 * non-zero when any is non-zero or the peak passes RSS_LIMIT_BYTES.
 */
import { readFileSync } from 'node:fs';
import { fixtureNames, readFixture } from '../tests/support/fixtures.ts';
import { exercise, makeTarget, mutate, prng, type Target } from '../tests/unit/tflite/mutations.ts';
import {
  exerciseStructure,
  makeStructuralTarget,
  mutateStructure,
  type StructuralTarget,
} from '../tests/unit/tflite/structural-mutations.ts';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [variantsArg, seedArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const structural = flags.includes('--structure');
const variants = Number(variantsArg ?? 100_000);
const seed = Number(seedArg ?? Date.now() % 2 ** 31);
/** A parse that takes this long is treated as a hang. */
const PER_INPUT_LIMIT_MS = 1000;
const RSS_LIMIT_BYTES = 1024 * 1024 * 1024;
/** Untyped errors printed in full before the run stops listing them. */
const MAX_REPORTED = 10;

/** Peak resident set of this process so far (VmHWM on Linux, else the current RSS). */
function peakRss(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // Not Linux: fall back below.
  }
  return process.memoryUsage().rss;
}

interface Mode {
  next(i: number): { kind: string; target: string; bytes: Uint8Array; restore(): void };
  exercise(bytes: Uint8Array): string;
}

const random = prng(seed);
const names = fixtureNames((n) => n.endsWith('.tflite'));
let mode: Mode;
if (structural) {
  const targets: StructuralTarget[] = [];
  for (const name of names) targets.push(makeStructuralTarget(name, await readFixture(name)));
  mode = {
    next: (i) => {
      const target = targets[i % targets.length]!;
      return { ...mutateStructure(target, random), target: target.name };
    },
    exercise: exerciseStructure,
  };
} else {
  const targets: Target[] = [];
  for (const name of names) targets.push(makeTarget(name, await readFixture(name)));
  mode = {
    next: (i) => {
      const target = targets[i % targets.length]!;
      return { ...mutate(target, random), target: target.name };
    },
    exercise,
  };
}
console.log(
  `fuzzing ${names.length} models, ${variants} variants, ${structural ? 'structural' : 'byte'} mutations, seed ${seed}`,
);

const outcomes = new Map<string, number>();
const kinds = new Map<string, number>();
let slowest = { ms: 0, what: '' };
let untyped = 0;
let hangs = 0;
let done = 0;
const started = performance.now();
for (let i = 0; i < variants; i++) {
  const variant = mode.next(i);
  const what = `variant ${i}, ${variant.kind} of ${variant.target}`;
  kinds.set(variant.kind, (kinds.get(variant.kind) ?? 0) + 1);
  const t0 = performance.now();
  try {
    const outcome = mode.exercise(variant.bytes);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  } catch (error) {
    untyped++;
    if (untyped <= MAX_REPORTED) console.error(`${what} (seed ${seed}) threw:`, error);
  } finally {
    variant.restore();
  }
  const ms = performance.now() - t0;
  if (ms > PER_INPUT_LIMIT_MS) {
    hangs++;
    console.error(`${what} took ${ms.toFixed(0)} ms`);
  }
  if (ms > slowest.ms) slowest = { ms, what };
  done++;
  if ((i + 1) % 10_000 === 0)
    console.log(
      `  ${i + 1} variants, ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${(peakRss() / 1048576).toFixed(0)} MiB`,
    );
}
const peak = peakRss();
console.log('mutations:', Object.fromEntries([...kinds].sort((a, b) => b[1] - a[1])));
console.log('outcomes:', Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])));
console.log(`slowest input: ${slowest.ms.toFixed(1)} ms (${slowest.what})`);
console.log(
  `figures: ${done} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s; untyped errors ${untyped}; hangs (> ${PER_INPUT_LIMIT_MS} ms) ${hangs}; peak RSS ${(peak / 1048576).toFixed(0)} MiB (limit ${RSS_LIMIT_BYTES / 1048576} MiB)`,
);
const failed = untyped > 0 || hangs > 0 || peak > RSS_LIMIT_BYTES;
console.log(failed ? 'FAILED' : `ok: ${done} variants, only valid parses and typed errors`);
process.exitCode = failed ? 1 : 0;
