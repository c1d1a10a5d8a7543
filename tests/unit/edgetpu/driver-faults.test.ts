import { describe, expect, it } from 'vitest';
import { openEdgeTpu, type EdgeTpu, type EdgeTpuModel } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { readFixture } from '../../support/fixtures.ts';
import { expectOutput, failure } from './driver-checks.ts';
import { coralWith } from '../../emulator/node-fixtures.ts';
import type { VirtualCoral } from '../../emulator/virtual-coral.ts';

const MODEL = 'testconv1-edgetpu.tflite';
const CACHED = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
/** Short timeouts keep the suite fast; every fault must end within them. */
const FAST = { transferTimeoutMs: 300, requestTimeoutMs: 300, pollTimeoutMs: 300, resetTimeoutMs: 300 };

async function setup(): Promise<{
  coral: VirtualCoral;
  tpu: EdgeTpu;
  model: EdgeTpuModel;
  input: Uint8Array;
  expected: Uint8Array;
}> {
  const { coral, models } = await coralWith([MODEL]);
  const tpu = await openEdgeTpu(coral.device!, FAST);
  const model = await tpu.load(models.get(MODEL)!.bytes);
  return {
    coral,
    tpu,
    model,
    input: await readFixture('testconv1-test-input.bin'),
    expected: await readFixture('testconv1-expected-output.bin'),
  };
}

describe('driver faults on the virtual Coral', () => {
  it('a stalled bulk OUT ends in a typed error, a reset and a correct next inference', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.stallNext({ type: 'bulk', direction: 'out' });
    const error = await failure(model.run([input]));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', reason: 'stall' });
    expect(error.message).toContain('reset and reopened');
    expect(tpu.stats.recoveries).toBe(1);
    expect(tpu.state).toBe('open');
    await expectOutput(model, input, expected);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('a missing completion event times out, recovers, and the next inference is correct', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    await expectOutput(model, input, expected);
    coral.dropNextEvents(1);
    const error = await failure(model.run([input]));
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', reason: 'timeout' });
    expect(error.message).toMatch(/completion event/);
    await expectOutput(model, input, expected);
    expect(tpu.stats).toMatchObject({ inferences: 2, recoveries: 1, failures: 1 });
    await tpu.close();
  });

  it('a reply slower than the timeout is a DEADLINE_EXCEEDED, then recovery', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.delayNext(1000, { type: 'bulk', direction: 'out' });
    const error = await failure(model.run([input]));
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', reason: 'timeout' });
    await expectOutput(model, input, expected);
    await tpu.close();
  });

  it('a reply slower than usual but within the timeout just works', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.delayNext(50, { type: 'bulk', direction: 'out' });
    await expectOutput(model, input, expected);
    expect(tpu.stats.recoveries).toBe(0);
    await tpu.close();
  });

  it('recovery re-uploads cached parameters after the reset dropped them', async () => {
    const { coral, models } = await coralWith([CACHED]);
    const tpu = await openEdgeTpu(coral.device!, FAST);
    const model = await tpu.load(models.get(CACHED)!.bytes);
    const input = new Uint8Array(model.inputs[0]!.sizeBytes).fill(7);
    const first = await model.run([input]);
    coral.dropNextEvents(1);
    await failure(model.run([input]));
    const again = await model.run([input]);
    expect(Buffer.from(again[0]!.data as Uint8Array).equals(Buffer.from(first[0]!.data as Uint8Array))).toBe(true);
    expect(coral.app.stats.parameterUploads.get(CACHED)).toBe(2);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('a posted read that fails between requests is repaired before the next request', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    await expectOutput(model, input, expected);
    coral.stallNext({ type: 'bulk', direction: 'in', endpoint: 2 });
    coral.dropNextEvents(1);
    await failure(model.run([input])); // recovery re-posts the event read, which stalls
    await expectOutput(model, input, expected);
    expect(tpu.stats.recoveries).toBe(2);
    await tpu.close();
  });

  it('posted reads that a host times out while idle (node-usb) are re-posted, not treated as faults', async () => {
    const { coral, models } = await coralWith([MODEL], { hostTimeouts: { defaultMs: 1000, maxMs: 120 } });
    const tpu = await openEdgeTpu(coral.device!, FAST);
    const model = await tpu.load(models.get(MODEL)!.bytes);
    const input = await readFixture('testconv1-test-input.bin');
    const expected = await readFixture('testconv1-expected-output.bin');
    await expectOutput(model, input, expected);
    await new Promise((resolve) => setTimeout(resolve, 400)); // several host timeouts pass
    await expectOutput(model, input, expected);
    expect(tpu.stats.recoveries).toBe(0);
    expect(coral.app.pendingReads).toEqual({ output: 8, event: 1, interrupt: 1 });
    await tpu.close();
  });

  it('a stalled register access is retried (as libedgetpu does) and the inference still runs', async () => {
    const { coral, models } = await coralWith([MODEL]);
    coral.stallNext({ type: 'control' }, 2);
    const tpu = await openEdgeTpu(coral.device!, FAST);
    const model = await tpu.load(models.get(MODEL)!.bytes);
    await expectOutput(
      model,
      await readFixture('testconv1-test-input.bin'),
      await readFixture('testconv1-expected-output.bin'),
    );
    await tpu.close();
  });

  it('unplugging mid-inference fails with device-gone; later calls fail fast', async () => {
    const { coral, tpu, model, input } = await setup();
    coral.unplugAtTransfer(2);
    const error = await failure(model.run([input]));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
    expect(tpu.state).toBe('failed');
    await expect(model.run([input])).rejects.toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
    await tpu.close();
    expect(tpu.state).toBe('closed');
  });

  it('unplugged during the third inference from now: two answer right, the third fails with device-gone', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.unplugAtRequest(3);
    await expectOutput(model, input, expected);
    await expectOutput(model, input, expected);
    expect(coral.personality).toBe('app');
    const error = await failure(model.run([input]));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
    expect(coral.personality).toBe('unplugged');
    await tpu.close();
  });

  it('after an unplug, replug + flash + reopen gives correct inferences again', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.unplug();
    await expect(model.run([input])).rejects.toMatchObject({ reason: 'device-gone' });
    await tpu.close();
    coral.replug(); // back as the bootloader, a new device object
    const { flashFirmware } = await import('../../../src/lib/edgetpu/dfu/flash.ts');
    const app = await flashFirmware(coral.device!, await readFixture('apex_latest_single_ep.bin'), { usb: coral.usb });
    const again = await openEdgeTpu(app!, FAST);
    const reloaded = await again.load(model.program);
    await expectOutput(reloaded, input, expected);
    expect(coral.violations).toEqual([]);
    await again.close();
  });

  it('a fatal-error interrupt is reported with the HIB status and recovered from', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.dropNextEvents(1); // the chip died before finishing
    const run = model.run([input]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    coral.raiseInterrupt(1);
    const error = await failure(run);
    expect(error).toMatchObject({ code: 'INTERNAL', reason: 'fatal-interrupt' });
    expect(error.message).toContain('hib_error_status 0x2000');
    await expectOutput(model, input, expected);
    await tpu.close();
  });

  it('a failing reset() during recovery falls back to close and reopen', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.stallNext({ type: 'bulk', direction: 'out' });
    coral.failNextResets(1);
    const error = await failure(model.run([input]));
    expect(error.message).toContain('reset and reopened');
    expect(tpu.state).toBe('open');
    await expectOutput(model, input, expected);
    await tpu.close();
  });

  it('a thermal warning interrupt is noted without failing the inference', async () => {
    const { coral, tpu, model, input, expected } = await setup();
    coral.raiseInterrupt(1 << 4);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expectOutput(model, input, expected);
    expect(tpu.warnings).toEqual(['thermal warning']);
    await tpu.close();
  });

  it('opening a bootloader or a foreign device is a typed error', async () => {
    const { VirtualCoral } = await import('../../emulator/virtual-coral.ts');
    const coral = new VirtualCoral();
    await expect(openEdgeTpu(coral.device!)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'needs-firmware',
    });
  });
});
