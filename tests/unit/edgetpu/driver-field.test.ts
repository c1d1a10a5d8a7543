/**
 * Faults a real stick meets in the field (issue 12 §1, issue 13), each on the virtual Coral, whose
 * device model behaves as the protocol says: stale FIFO contents survive everything but a port
 * reset, a latched interrupt fires again until its source is cleared, the bootloader keeps its DFU
 * state and honours bwPollTimeout. Each case ends in a correct next inference or a typed error.
 */
import { describe, expect, it } from 'vitest';
import { DevicePool } from '../../../src/lib/edgetpu/devices/device-pool.ts';
import { flashFirmware } from '../../../src/lib/edgetpu/dfu/flash.ts';
import { openEdgeTpu, type EdgeTpu, type EdgeTpuModel } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { resolveOptions } from '../../../src/lib/edgetpu/driver/driver-options.ts';
import { DmaReportLedger } from '../../../src/lib/edgetpu/driver/dma-reports.ts';
import { DFU_STATE } from '../../../src/lib/edgetpu/usb/dfu.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { readFixture } from '../../support/fixtures.ts';
import { expectTestconv1Output, failure } from './driver-checks.ts';
import { coralWith, firmwareImage } from '../../emulator/node-fixtures.ts';
import { EmulatedUsb } from '../../emulator/usb-host.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';

const MODEL = 'testconv1-edgetpu.tflite';
/** Short timeouts keep the suite fast; every fault must end within them. */
const FAST = {
  transferTimeoutMs: 300,
  requestTimeoutMs: 300,
  pollTimeoutMs: 300,
  resetTimeoutMs: 300,
  settleMs: 5,
  openRetryDelayMs: 20,
  reconnectTimeoutMs: 1000,
};

const golden = async () => ({
  input: await readFixture('testconv1-test-input.bin'),
  expected: await readFixture('testconv1-expected-output.bin'),
});

const expectCorrect = expectTestconv1Output;

async function opened(
  coral: VirtualCoral,
  bytes: Uint8Array,
  options: Parameters<typeof openEdgeTpu>[1] = {},
): Promise<{ tpu: EdgeTpu; model: EdgeTpuModel }> {
  const tpu = await openEdgeTpu(coral.device!, { ...FAST, ...options });
  return { tpu, model: await tpu.load(bytes) };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('reset before the first open', () => {
  it('a stick left with stale output queued is reset first, and the first inference is correct', async () => {
    const { coral, models } = await coralWith([MODEL]);
    coral.queueStaleOutput(3000, 1); // a crashed tab's request: output chunks and its completion event
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
    expect(coral.resets).toBe(1);
    await expectCorrect(model);
    expect(tpu.stats.recoveries).toBe(0);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('when that reset fails, the stale data is drained before the first request', async () => {
    const { coral, models } = await coralWith([MODEL]);
    coral.queueStaleOutput(3000, 1);
    coral.failNextResets(1);
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
    expect(tpu.warnings).toEqual(['stale data from before this open dropped (3000 output bytes, 1 events)']);
    await expectCorrect(model);
    expect(tpu.stats.recoveries).toBe(0);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('resetOnOpen: false skips the reset; a second open of the same device does not reset either', async () => {
    const { coral, models } = await coralWith([MODEL]);
    const first = await opened(coral, models.get(MODEL)!.bytes, { resetOnOpen: false });
    await first.tpu.close();
    expect(coral.resets).toBe(0);
    const again = await opened(coral, models.get(MODEL)!.bytes);
    await again.tpu.close();
    const third = await opened(coral, models.get(MODEL)!.bytes);
    await expectCorrect(third.model);
    await third.tpu.close();
    expect(coral.resets).toBe(1);
  });

  it('a device flashFirmware just brought up is not reset again', async () => {
    const coral = new VirtualCoral();
    const app = await flashFirmware(coral.device!, await firmwareImage(), { usb: coral.usb });
    const resets = coral.resets;
    const tpu = await openEdgeTpu(app!, FAST);
    expect(coral.resets).toBe(resets);
    await tpu.close();
  });
});

describe('a stick that re-enumerates as a new USBDevice on reset', () => {
  it('is found again on open through getDevices/connect, and runs correctly', async () => {
    const { coral, models } = await coralWith([MODEL], { reenumerateMs: 30 });
    const first = coral.device!;
    coral.reenumerateOnReset(1);
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes, { usb: coral.usb });
    expect(coral.enumerations).toBe(2);
    expect(tpu.device).not.toBe(first);
    expect(tpu.device).toBe(coral.device);
    await expectCorrect(model);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('is followed by the recovery after a fault, even when reset() itself succeeded', async () => {
    const { coral, models } = await coralWith([MODEL], { reenumerateMs: 20 });
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes, { usb: coral.usb });
    await expectCorrect(model);
    const before = coral.device;
    coral.reenumerateOnReset(1, { resetResolves: true });
    coral.stallNext({ type: 'bulk', direction: 'out' });
    const error = await failure(model.run([(await golden()).input]));
    expect(error.message).toContain('reset and reopened');
    expect(tpu.device).not.toBe(before);
    expect(tpu.state).toBe('open');
    await expectCorrect(model);
    expect(tpu.stats.recoveries).toBe(1);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('with two sticks on the bus, the one that re-enumerated is found, not its neighbour', async () => {
    const usb = new EmulatedUsb();
    const { coral: a, models } = await coralWith([MODEL], { usb, reenumerateMs: 30 });
    const { coral: b } = await coralWith([MODEL], { usb });
    a.reenumerateOnReset(1, { resetResolves: true });
    const { tpu, model } = await opened(a, models.get(MODEL)!.bytes, { usb });
    expect(tpu.device).toBe(a.device);
    expect(tpu.device).not.toBe(b.device);
    await expectCorrect(model);
    expect(a.app.stats.requests).toBe(1);
    expect(b.app.stats.requests).toBe(0);
    await tpu.close();
  });

  it('a device pool keeps the TPU and its models while the driver follows the stick', async () => {
    const { coral, models } = await coralWith([MODEL], { reenumerateMs: 20 });
    const pool = new DevicePool(coral.usb, { driver: FAST });
    await pool.refresh();
    const model = await pool.load(models.get(MODEL)!.bytes, { name: 'testconv1' });
    const { input, expected } = await golden();
    const correct = async () => {
      const [out] = await model.run([input]);
      expect(Buffer.from(out!.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
    };
    await correct();
    coral.reenumerateOnReset(1);
    coral.stallNext({ type: 'bulk', direction: 'out' });
    const error = await failure(model.run([input]));
    expect(error.message).toContain('reset and reopened');
    await correct();
    expect(model.deviceId).toBe('usb:0');
    expect(pool.devices().map((d) => [d.id, d.state, d.models])).toEqual([['usb:0', 'idle', ['testconv1']]]);
    expect(coral.enumerations).toBe(2);
    await pool.close();
  });

  it('without a USB host to look in, it is a typed device-gone error', async () => {
    const { coral } = await coralWith([MODEL]);
    coral.reenumerateOnReset(1);
    const error = await failure(openEdgeTpu(coral.device!, FAST));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
    expect(error.message).toContain('re-enumerated');
  });
});

describe('top-level interrupts are cleared at their source', () => {
  it('a latched thermal warning is cleared in omc0_dc, fires once, and inference goes on', async () => {
    const { coral, models } = await coralWith([MODEL]);
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
    coral.raiseInterrupt(1 << 4);
    await pause(50);
    expect(coral.app.interrupts.latched(3)).toBe(false);
    expect(coral.app.interrupts.refires).toBe(0);
    expect(tpu.warnings).toEqual(['thermal warning']);
    await expectCorrect(model);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('a latched thermal shutdown is cleared in omc0_dc before the reset; the next inference is correct', async () => {
    const { coral, models } = await coralWith([MODEL]);
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
    coral.raiseInterrupt(1 << 1);
    await pause(20);
    await expectCorrect(model); // the failed streams are repaired (reset + reopen) before this request
    expect(coral.app.interrupts.latched(0)).toBe(false);
    expect(coral.app.interrupts.refires).toBe(0);
    expect(tpu.stats.recoveries).toBe(1);
    expect(tpu.warnings).toEqual(['thermal shutdown']);
    await expectCorrect(model);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('PCIe/AXI error and BIST failure: abm_en toggled, W1C bits written back, no re-firing', async () => {
    const { coral, models } = await coralWith([MODEL]);
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
    coral.raiseInterrupt((1 << 2) | (1 << 3));
    await pause(50);
    expect([1, 2].map((k) => coral.app.interrupts.latched(k))).toEqual([false, false]);
    expect(coral.app.interrupts.refires).toBe(0);
    expect(tpu.warnings).toEqual(['PCIe/AXI error', 'BIST/PLL/boot failure']);
    await expectCorrect(model);
    await tpu.close();
  });

  it('warnings stay bounded however often an interrupt fires', async () => {
    const { coral, models } = await coralWith([MODEL]);
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
    for (let i = 0; i < 100; i++) {
      coral.raiseInterrupt(1 << 4);
      await pause(1);
    }
    await pause(50);
    expect(tpu.warnings.length).toBeLessThanOrEqual(32);
    expect(tpu.warnings).toContain('thermal warning kept firing after being cleared; that interrupt is now disabled');
    await expectCorrect(model);
    await tpu.close();
  });
});

describe('DFU from any state', () => {
  it('a bootloader in dfuERROR is cleared (GETSTATUS, CLRSTATUS) and flashed', async () => {
    const coral = new VirtualCoral();
    coral.dfuStartsIn(DFU_STATE.dfuERROR, 0x03);
    const app = await flashFirmware(coral.device!, await firmwareImage(), { usb: coral.usb });
    expect(coral.personality).toBe('app');
    const tpu = await openEdgeTpu(app!, FAST);
    const { models } = await coralWithModelOn(coral);
    await expectCorrect(await tpu.load(models));
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('dfuDNBUSY with a bwPollTimeout is waited out before each next GETSTATUS', async () => {
    const coral = new VirtualCoral();
    coral.dfuBusy(1, 15);
    const started = performance.now();
    const app = await flashFirmware(coral.device!, await firmwareImage(), { usb: coral.usb });
    expect(app).toBeDefined();
    // 43 data blocks + the empty block, each busy for one 15 ms poll.
    expect(performance.now() - started).toBeGreaterThanOrEqual(44 * 15);
    expect(coral.firmware).toBe('single-ep');
    expect(coral.violations).toEqual([]);
  });

  it('a bootloader left mid-upload (verify interrupted) is aborted back to dfuIDLE and flashed', async () => {
    const coral = new VirtualCoral();
    coral.dfuStartsIn(DFU_STATE.dfuUPLOAD_IDLE);
    const app = await flashFirmware(coral.device!, await firmwareImage(), { usb: coral.usb });
    expect(app?.vendorId).toBe(0x18d1);
    expect(coral.violations).toEqual([]);
  });

  it('a flash abandoned mid-download (tab closed) does not need a replug: the next flash works', async () => {
    const coral = new VirtualCoral();
    const firmware = await firmwareImage();
    const device = coral.device!;
    const stop = new Error('tab closed');
    await expect(
      flashFirmware(device, firmware, {
        onProgress: (p) => {
          if (p.phase === 'download' && p.bytesDone >= 2560) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(coral.dfu.state).toBe(DFU_STATE.dfuDNLOAD_IDLE);
    await device.close(); // what the browser does when the tab goes away
    const app = await flashFirmware(device, firmware, { usb: coral.usb });
    expect(app?.vendorId).toBe(0x18d1);
    expect(coral.violations).toEqual([]);
  });
});

describe('descriptor mode with reports shaped differently from the hints', () => {
  it('reports that split the hinted DMAs but cover every byte are accepted', async () => {
    const { coral, models } = await coralWith([MODEL]);
    coral.app.reportShape = 'split';
    const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes, { bulkDescriptorsFromDevice: true });
    await expectCorrect(model);
    await expectCorrect(model);
    expect(coral.app.reshapedReports).toBeGreaterThan(0);
    expect(tpu.stats.failures).toBe(0);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  // No fixture has neighbouring DMAs of one tag, so merging is checked on the ledger itself.
  const reports = (...list: [number, number][]) => {
    const queue = list.map(([address, length]) => ({ tag: 1, address: BigInt(address), length }));
    return {
      takeDescriptor: async () => {
        const next = queue.shift();
        if (!next) throw new ReefError('DEADLINE_EXCEEDED', 'no report', { reason: 'timeout' });
        return next;
      },
    };
  };
  const hinted = () => {
    const ledger = new DmaReportLedger('usb:0');
    ledger.expect({ tag: 1, address: 0x1000n, length: 64 }, 'input a');
    ledger.expect({ tag: 1, address: 0x1040n, length: 128 }, 'input b');
    return ledger;
  };

  it('merged, or cut at other boundaries: accepted when the reports tile the hinted bytes', async () => {
    await hinted().settle(reports([0x1000, 192]), 100);
    await hinted().settle(reports([0x1000, 100], [0x1064, 92]), 100);
    await hinted().settle(reports([0x1000, 32], [0x1020, 32], [0x1040, 128]), 100);
  });

  it('a gap, an overlap or bytes beyond the hints are DATA_LOSS', async () => {
    for (const shape of [
      reports([0x1000, 64], [0x1044, 124]),
      reports([0x1000, 100], [0x1060, 96]),
      reports([0x1000, 256]),
    ]) {
      const error = await failure(hinted().settle(shape, 100));
      expect(error).toMatchObject({ code: 'DATA_LOSS', reason: 'descriptor-mismatch' });
    }
  });
});

describe('every output byte of a request is accounted for (issue 13)', () => {
  for (const kind of ['extra', 'duplicate'] as const) {
    it(`an ${kind} chunk on 0x81 mid-output is DATA_LOSS for that request; the next one is correct`, async () => {
      const { coral, models } = await coralWith([MODEL]);
      const { tpu, model } = await opened(coral, models.get(MODEL)!.bytes);
      await expectCorrect(model);
      coral.app.outputFault = { kind, count: 1 };
      const error = await failure(model.run([(await golden()).input]));
      expect(error).toMatchObject({ code: 'DATA_LOSS', reason: 'extra-output' });
      expect(error.message).toMatch(/output bytes more than this request's outputs hold/);
      await expectCorrect(model);
      expect(tpu.stats).toMatchObject({ inferences: 2, failures: 1 });
      expect(coral.violations).toEqual([]);
      await tpu.close();
    });
  }
});

describe('driver options', () => {
  it("an unknown clock is a typed INVALID_ARGUMENT naming the presets; libedgetpu's names are aliases", async () => {
    const { coral } = await coralWith([MODEL]);
    const error = await failure(openEdgeTpu(coral.device!, { ...FAST, clock: 'foo' as never }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'bad-clock' });
    expect(error.message).toContain('low, medium, high, max');
    expect(resolveOptions({ clock: 'std' }).clock).toBe('high');
    expect(resolveOptions({ clock: 'Max' }).clock).toBe('max');
    expect(resolveOptions({ clock: 'Low' }).clock).toBe('low');
    const tpu = await openEdgeTpu(coral.device!, { ...FAST, clock: 'std' });
    expect(coral.app.csr.clock).toBe('high');
    await tpu.close();
  });

  it('a wrong value or an unknown option is a typed INVALID_ARGUMENT naming it', () => {
    expect(() => resolveOptions({ requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
    expect(() => resolveOptions({ postedOutputReads: 0 })).toThrow(/postedOutputReads/);
    expect(() => resolveOptions({ recover: 'yes' as never })).toThrow(/recover/);
    expect(() => resolveOptions({ clok: 'max' } as never)).toThrow(/clok is not an option/);
    try {
      resolveOptions({ requestTimeoutMs: Number.NaN });
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'bad-option' });
    }
  });
});

/** Registers testconv1 (with its golden twin) on a coral that was flashed in the test. */
async function coralWithModelOn(coral: VirtualCoral): Promise<{ models: Uint8Array }> {
  const { coral: donor, models } = await coralWith([MODEL]);
  const entry = models.get(MODEL)!;
  const registered = donor.app.programs.find((p) => p.name === MODEL)!;
  coral.registerModel(MODEL, entry.program, registered.compute);
  return { models: entry.bytes };
}
