import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { PipelinedRunner, type PipelineStage } from '../../../src/lib/edgetpu/devices/pipeline.ts';

type Bytes = Uint8Array[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stage that adds `k` to every byte, after a delay, recording how many stages run at once. */
function addStage(
  k: number,
  deviceId: string,
  probe: { running: number; max: number },
  delay = (_: number) => 2,
): PipelineStage<Bytes> {
  return {
    name: `segment ${k}`,
    deviceId,
    async run([t]) {
      probe.running++;
      probe.max = Math.max(probe.max, probe.running);
      await sleep(delay(t![0]!));
      probe.running--;
      return [t!.map((v) => v + k)];
    },
  };
}

describe('PipelinedRunner', () => {
  it('returns every result in input order, whatever each stage takes', async () => {
    const probe = { running: 0, max: 0 };
    const jitter = (v: number) => (v * 7) % 5;
    const runner = new PipelinedRunner(
      [
        addStage(1, 'usb:0', probe, jitter),
        addStage(10, 'usb:1', probe, jitter),
        addStage(100, 'usb:2', probe, jitter),
      ],
      { queueDepth: 3 },
    );
    const popped: number[] = [];
    const consumer = (async () => {
      for (let i = 0; i < 30; i++) popped.push((await runner.pop())[0]![0]!);
    })();
    for (let i = 0; i < 30; i++) await runner.push([new Uint8Array([i])]);
    await consumer;
    expect(popped).toEqual(Array.from({ length: 30 }, (_, i) => i + 111));
    expect(runner.stats().map((s) => s.runs)).toEqual([30, 30, 30]);
    expect(probe.max).toBeGreaterThan(1); // segments on different TPUs overlap
  });

  it('never runs two segments on one device at the same time (fewer TPUs than segments)', async () => {
    const probe = { running: 0, max: 0 };
    const runner = new PipelinedRunner([addStage(1, 'usb:0', probe), addStage(2, 'usb:0', probe)]);
    const results = (async () => {
      const out: number[] = [];
      for (let i = 0; i < 10; i++) out.push((await runner.pop())[0]![0]!);
      return out;
    })();
    for (let i = 0; i < 10; i++) await runner.push([new Uint8Array([i])]);
    expect(await results).toEqual(Array.from({ length: 10 }, (_, i) => i + 3));
    expect(probe.max).toBe(1);
  });

  it('applies backpressure: push waits while the first queue is full', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stage: PipelineStage<Bytes> = {
      name: 's',
      deviceId: 'usb:0',
      run: async (t) => {
        await gate;
        return t;
      },
    };
    const runner = new PipelinedRunner([stage], { queueDepth: 1 });
    await runner.push([new Uint8Array([0])]); // taken by the stage, which blocks on the gate
    await runner.push([new Uint8Array([1])]); // waits in the queue
    let third = false;
    const p3 = runner.push([new Uint8Array([2])]).then(() => (third = true));
    await sleep(20);
    expect(third).toBe(false);
    release();
    await p3;
    expect(third).toBe(true);
    expect((await runner.flush()).map((t) => t[0]![0])).toEqual([0, 1, 2]);
  });

  it('fails only the item whose segment failed, in order, and keeps going', async () => {
    const probe = { running: 0, max: 0 };
    const failing: PipelineStage<Bytes> = {
      name: 'segment 1',
      deviceId: 'usb:1',
      run: async ([t]) => {
        if (t![0] === 4) throw new ReefError('UNAVAILABLE', 'usb:1 unplugged');
        return [t!];
      },
    };
    const runner = new PipelinedRunner([addStage(0, 'usb:0', probe), failing]);
    for (let i = 0; i < 8; i++) await runner.push([new Uint8Array([i])]);
    const outcomes: (number | string)[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        outcomes.push((await runner.pop())[0]![0]!);
      } catch (e) {
        outcomes.push((e as ReefError).code);
      }
    }
    expect(outcomes).toEqual([0, 1, 2, 3, 'UNAVAILABLE', 5, 6, 7]);
  });

  it('stop() cancels what is pending and refuses new work, without hanging', async () => {
    const stage: PipelineStage<Bytes> = { name: 's', deviceId: 'usb:0', run: async (t) => (await sleep(5), t) };
    const runner = new PipelinedRunner([stage, { ...stage, deviceId: 'usb:1' }], { queueDepth: 4 });
    for (let i = 0; i < 6; i++) await runner.push([new Uint8Array([i])]);
    const pops = Array.from({ length: 6 }, () =>
      runner.pop().then(
        () => 'ok',
        (e: ReefError) => e.code,
      ),
    );
    await runner.stop();
    const codes = await Promise.all(pops);
    expect(codes.filter((c) => c === 'CANCELLED').length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 'ok' || c === 'CANCELLED')).toBe(true);
    await expect(runner.push([new Uint8Array([9])])).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('rejects a pipeline without segments; a pop ahead of any push ends with stop()', async () => {
    expect(() => new PipelinedRunner([])).toThrow(ReefError);
    const runner = new PipelinedRunner([{ name: 's', deviceId: 'usb:0', run: async (t) => t }]);
    const early = runner.pop();
    await runner.stop();
    await expect(early).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(runner.pop()).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
