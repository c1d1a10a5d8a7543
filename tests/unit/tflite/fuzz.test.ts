/**
 * Hostile inputs: thousands of mutated / truncated fixture models must each end in a valid parse
 * or a typed ReefError — never another exception, a hang or a runaway allocation.
 */
import { describe, expect, it } from 'vitest';
import { fixtureNames, readFixture } from '../../support/fixtures.ts';
import { exercise, makeTarget, mutate, MUTATION_KINDS, prng, type Target } from './mutations.ts';
import {
  exerciseStructure,
  makeStructuralTarget,
  mutateStructure,
  STRUCTURAL_KINDS,
  type StructuralTarget,
} from './structural-mutations.ts';

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

const STRUCTURAL_VARIANTS = 270;

describe('structural fuzzing (aliasing, lying sizes, appended ZIPs)', () => {
  it(`${STRUCTURAL_VARIANTS} structural mutations give a valid parse or a typed error`, async () => {
    const names = fixtureNames((name) => name.endsWith('.tflite') && !name.includes('movenet'));
    const targets: StructuralTarget[] = [];
    for (const name of names) targets.push(makeStructuralTarget(name, await readFixture(name)));
    const random = prng(20261203);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < STRUCTURAL_VARIANTS; i++) {
      const target = targets[i % targets.length]!;
      // Every kind in turn, so each runs ~30 times whatever the PRNG does.
      const kind = STRUCTURAL_KINDS[i % STRUCTURAL_KINDS.length]!;
      const variant = mutateStructure(target, random, kind);
      let outcome: string;
      try {
        outcome = exerciseStructure(variant.bytes);
      } catch (error) {
        throw new Error(`variant ${i} (${kind} of ${target.name}) threw ${String(error)}`, { cause: error });
      } finally {
        variant.restore();
      }
      outcomes.set(`${kind}:${outcome}`, (outcomes.get(`${kind}:${outcome}`) ?? 0) + 1);
    }
    const refused = (kind: string, reason: string) => outcomes.get(`${kind}:${reason}`) ?? 0;
    // The mutations reach the checks this mode is for.
    expect(refused('alias-generated', 'too-large') + refused('alias-names', 'too-large')).toBeGreaterThan(0);
    expect(refused('lie-executable', 'bad-executable')).toBeGreaterThan(0);
    expect(refused('lie-shape', 'tensor-too-large') + refused('lie-shape', 'bad-shape')).toBeGreaterThan(0);
    for (const target of targets) expect(exerciseStructure(target.bytes)).toBe('ok');
  }, 60_000);
});
