/** What the driver fault tests check after every fault: a correct next inference, or a typed error in bounded time. */
import { expect } from 'vitest';
import type { EdgeTpuModel } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { readFixture } from '../../support/fixtures.ts';

/** One run of `model` on `input` gives exactly `expected` (the model's golden output bytes). */
export async function expectOutput(model: EdgeTpuModel, input: Uint8Array, expected: Uint8Array): Promise<void> {
  const [out] = await model.run([input]);
  expect(Buffer.from(out!.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
}

/** testconv1 (the coralmicro test model) on its test input gives its golden output. */
export async function expectTestconv1Output(model: EdgeTpuModel): Promise<void> {
  await expectOutput(
    model,
    await readFixture('testconv1-test-input.bin'),
    await readFixture('testconv1-expected-output.bin'),
  );
}

/** `promise` fails with a ReefError, bounded by the tests' short driver timeouts (never a hang). */
export async function failure(promise: Promise<unknown>): Promise<ReefError> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReefError);
  expect(performance.now() - started).toBeLessThan(5000);
  return error as ReefError;
}
