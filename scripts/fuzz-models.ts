/**
 * `npm run fuzz [-- <variants> [<seed>]]`: the long run of the model-reader fuzzer (the unit suite
 * runs a short one). Mutates every fixture model (bit flips, truncation, corrupted offsets, huge
 * lengths, zeroed runs, swapped words) and requires each variant to parse or fail with a typed
 * ReefError. Reports outcomes and the slowest input; exits non-zero on any other exception or on
 * an input that takes longer than the per-input bound.
 */
import { fixtureNames, readFixture } from '../tests/support/fixtures.ts';
import { exercise, makeTarget, mutate, prng, type Target } from '../tests/unit/tflite/mutations.ts';

const variants = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
/** A parse that takes this long is treated as a hang. */
const PER_INPUT_LIMIT_MS = 1000;

const targets: Target[] = [];
for (const name of fixtureNames((n) => n.endsWith('.tflite'))) targets.push(makeTarget(name, await readFixture(name)));
console.log(`fuzzing ${targets.length} models, ${variants} variants, seed ${seed}`);

const random = prng(seed);
const outcomes = new Map<string, number>();
let slowest = { ms: 0, what: '' };
let failures = 0;
const started = performance.now();
for (let i = 0; i < variants; i++) {
  const target = targets[i % targets.length]!;
  const variant = mutate(target, random);
  const t0 = performance.now();
  try {
    const outcome = exercise(variant.bytes);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  } catch (error) {
    failures++;
    console.error(`variant ${i} (${variant.kind} of ${target.name}, seed ${seed}) threw:`, error);
    if (failures >= 10) break;
  } finally {
    variant.restore();
  }
  const ms = performance.now() - t0;
  if (ms > slowest.ms) slowest = { ms, what: `variant ${i}, ${variant.kind} of ${target.name}` };
  if ((i + 1) % 10_000 === 0)
    console.log(`  ${i + 1} variants, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
console.log('outcomes:', Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])));
console.log(`slowest input: ${slowest.ms.toFixed(1)} ms (${slowest.what})`);
if (slowest.ms > PER_INPUT_LIMIT_MS) {
  console.error(`an input took longer than ${PER_INPUT_LIMIT_MS} ms`);
  failures++;
}
console.log(
  failures ? `FAILED: ${failures} problem(s)` : `ok: ${variants} variants, only valid parses and typed errors`,
);
process.exitCode = failures ? 1 : 0;
