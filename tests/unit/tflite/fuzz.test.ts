/**
 * Hostile inputs: thousands of mutated / truncated fixture models must each end in a valid parse
 * or a typed ReefError — never another exception, a hang or a runaway allocation.
 */
import { describe, expect, it } from 'vitest';
import { fixtureNames, readFixture } from '../../support/fixtures.ts';
import { exercise, makeTarget, mutate, MUTATION_KINDS, prng, type Target } from './mutations.ts';

const VARIANTS = 2400;

describe('fuzzing the model readers', () => {
  it(`${VARIANTS} mutated and truncated fixtures give a valid parse or a typed error`, async () => {
    const names = fixtureNames((name) => name.endsWith('.tflite'));
    const targets: Target[] = [];
    for (const name of names) targets.push(makeTarget(name, await readFixture(name)));
    const random = prng(20261125);
    const outcomes = new Map<string, number>();
    const kinds = new Map<string, number>();
    for (let i = 0; i < VARIANTS; i++) {
      // Small models are cheap: weight them up; every model still gets its share.
      const target = targets[i % targets.length]!;
      const variant = mutate(target, random);
      let outcome: string;
      try {
        outcome = exercise(variant.bytes);
      } catch (error) {
        throw new Error(`variant ${i} (${variant.kind} of ${target.name}) threw ${String(error)}`, { cause: error });
      } finally {
        variant.restore();
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      kinds.set(variant.kind, (kinds.get(variant.kind) ?? 0) + 1);
    }
    // Every mutation kind ran, and the mutations were strong enough to be caught as typed errors.
    expect([...kinds.keys()].sort()).toEqual([...MUTATION_KINDS].sort());
    for (const reason of ['truncated', 'offset-out-of-range']) expect(outcomes.get(reason) ?? 0).toBeGreaterThan(0);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(VARIANTS);
    // The fixtures are untouched after restoring every variant.
    for (const target of targets) expect(exercise(target.bytes)).toBe('ok');
  });
});
