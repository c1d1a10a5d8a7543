/**
 * "Check my Coral" against virtual Corals (a test double: no figure here is a hardware result).
 * The known answers come from outside the driver: coralmicro's golden testconv1 output and the CPU
 * twins run on LiteRT.js; a stick that returns wrong bytes must get a FAIL, never a pass.
 */
import { describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { DevicePool } from '../../../src/lib/edgetpu/index.ts';
import { runSelfTest, type DoctorFileSource, type DoctorReport } from '../../../src/lib/doctor/index.ts';
import type { ComputeFn } from '../../emulator/app-function.ts';
import { EmulatedUsb, VirtualCoral } from '../../emulator/index.ts';
import { fixtureProgram, testconv1Twin } from '../../emulator/node-fixtures.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { FIXTURES, readFixture, type FixtureName } from '../../support/fixtures.ts';

/** Fixture files by name; `without` lists names that are "not available". */
function fixtureFiles(without: readonly string[] = []): DoctorFileSource {
  return {
    get: async (file) =>
      without.includes(file.name) || !(file.name in FIXTURES) ? undefined : readFixture(file.name as FixtureName),
    howToGet: (names) => `put ${names.join(', ')} in the models folder`,
  };
}

type Twins = Partial<Record<'testconv1' | 'mobilenet' | 'movenet', (c: ComputeFn) => ComputeFn>>;

/** A Coral running firmware with the self-test's models registered (CPU twins compute the outputs). */
async function coralWithSelfTestModels(usb: EmulatedUsb, tamper: Twins = {}): Promise<VirtualCoral> {
  const coral = new VirtualCoral({ usb, firmwareLoaded: true });
  const register = async (name: FixtureName, twin?: FixtureName, key?: keyof Twins): Promise<void> => {
    const { bytes, program } = await fixtureProgram(name);
    let compute: ComputeFn | undefined;
    if (name === 'testconv1-edgetpu.tflite') compute = await testconv1Twin(program);
    else if (twin) compute = await twinCompute(bytes, await readFixture(twin));
    if (compute && key && tamper[key]) compute = tamper[key](compute);
    coral.registerModel(name, program, compute);
  };
  await register('testconv1-edgetpu.tflite', undefined, 'testconv1');
  await register('mobilenet_v1_0.25_128_quant_edgetpu.tflite', 'mobilenet_v1_0.25_128_quant.tflite', 'mobilenet');
  await register(
    'movenet_single_pose_lightning_ptq_edgetpu.tflite',
    'movenet_single_pose_lightning_ptq.tflite',
    'movenet',
  );
  await register('mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite');
  await register('mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite');
  await register('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite');
  return coral;
}

async function selfTest(usb: EmulatedUsb, files = fixtureFiles()): Promise<{ report: DoctorReport; pool: DevicePool }> {
  const pool = new DevicePool(usb);
  const report = await runSelfTest({
    pool,
    liteRtLoader: nodeLiteRtLoader,
    files,
    environment: { runtime: `node ${process.version}` },
    reefVersion: 'test',
    latencyRuns: 3,
  });
  return { report, pool };
}

const verdicts = (report: DoctorReport): Record<string, string> =>
  Object.fromEntries(report.steps.map((s) => [s.id, s.verdict]));

describe('self-test on the virtual Coral', () => {
  it('passes every known-answer test on a healthy stick, with the measured values', async () => {
    const usb = new EmulatedUsb();
    const coral = await coralWithSelfTestModels(usb);
    const { report, pool } = await selfTest(usb);
    try {
      expect(report.outcome).toBe('pass');
      expect(report.device).toMatchObject({ id: 'usb:0', personality: 'app', vendorId: '18d1', productId: '9302' });
      expect(verdicts(report)).toEqual({
        identity: 'pass',
        'usb-speed': 'pass',
        clock: 'pass',
        testconv1: 'pass',
        classify: 'pass',
        'tiled-int8': 'pass',
        cocompiled: 'pass',
        // Emulator timing is a test double's: only that a comparison was made is checked.
        latency: expect.stringMatching(/^(pass|warn)$/),
      });
      const step = (id: string) => report.steps.find((s) => s.id === id)!;
      expect(step('testconv1').why).toBe("all 14400 output bytes equal coralmicro's golden file");
      // cat.bmp: ImageNet class 283 (tiger cat) on both, as the CPU twin says.
      expect(step('classify').details).toMatchObject({ tpuTop1: 283, cpuTop1: 283 });
      expect(step('classify').details?.['maxScoreDifference']).toBe(0);
      expect(step('tiled-int8').details?.['maxKeypointDistance']).toBe(0);
      expect(step('cocompiled').details).toEqual({ firstRunUploads: 2, alternatingRuns: 6, parameterUploads: 0 });
      expect(step('latency').why).toMatch(/published figure 2\.4 ms for MobileNet v1 \(224x224\) at USB 3/);
      expect(step('clock').details).toEqual({ clock: 'high' });
      expect(coral.violations).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('fails testconv1, classification and the tiled int8 step on a stick that returns wrong output bytes', async () => {
    const usb = new EmulatedUsb();
    const flipOne =
      (compute: ComputeFn): ComputeFn =>
      async (inputs) => {
        const out = new Map(await compute(inputs));
        const [name, bytes] = [...out][0]!;
        const wrong = bytes.slice();
        wrong[100] = wrong[100]! ^ 0x01;
        out.set(name, wrong);
        return out;
      };
    // The classifier's "broken" output: every score moved to class 0.
    const allToZero =
      (compute: ComputeFn): ComputeFn =>
      async (inputs) => {
        const out = new Map(await compute(inputs));
        const [name, bytes] = [...out][0]!;
        const wrong = new Uint8Array(bytes.length);
        wrong[0] = 255;
        out.set(name, wrong);
        return out;
      };
    // MoveNet's tiled int8 heatmaps and offsets read back to front, as a mirrored tile order would.
    const mirrored =
      (compute: ComputeFn): ComputeFn =>
      async (inputs) =>
        new Map([...(await compute(inputs))].map(([name, bytes]) => [name, bytes.slice().reverse()]));
    await coralWithSelfTestModels(usb, { testconv1: flipOne, mobilenet: allToZero, movenet: mirrored });
    const { report, pool } = await selfTest(usb);
    try {
      expect(report.outcome).toBe('fail');
      expect(verdicts(report)).toMatchObject({
        testconv1: 'fail',
        classify: 'fail',
        'tiled-int8': 'fail',
        cocompiled: 'pass',
      });
      expect(report.steps.find((s) => s.id === 'tiled-int8')!.why).toMatch(
        /^keypoint \d+ is 0\.\d+ away from the CPU twin's \(tolerance 0\.05\)$/,
      );
      const testconv1 = report.steps.find((s) => s.id === 'testconv1')!;
      expect(testconv1.details).toEqual({ differingBytes: 1, firstDifference: 100 });
      expect(report.steps.find((s) => s.id === 'classify')!.why).toMatch(
        /^top-1 class 0 on the TPU, 283 on the CPU twin$/,
      );
    } finally {
      await pool.close();
    }
  });

  it('skips a step whose model is missing and says how to get it', async () => {
    const usb = new EmulatedUsb();
    await coralWithSelfTestModels(usb);
    const { report, pool } = await selfTest(usb, fixtureFiles(['movenet_single_pose_lightning_ptq.tflite']));
    try {
      const step = report.steps.find((s) => s.id === 'tiled-int8')!;
      expect(step.verdict).toBe('skipped');
      expect(step.why).toBe(
        'model not available: movenet_single_pose_lightning_ptq.tflite (catalog: MoveNet SinglePose Lightning). put movenet_single_pose_lightning_ptq.tflite in the models folder',
      );
      expect(report.outcome).toBe('pass');
    } finally {
      await pool.close();
    }
  });

  it('without a device says so and tests nothing', async () => {
    const { report, pool } = await selfTest(new EmulatedUsb());
    expect(report.outcome).toBe('no-device');
    expect(report.steps).toEqual([]);
    expect(report.summary).toMatch(/^No Coral USB Accelerator is connected/);
    await pool.close();
  });

  it('a stick in its bootloader fails identity and skips the rest', async () => {
    const usb = new EmulatedUsb();
    new VirtualCoral({ usb });
    const { report, pool } = await selfTest(usb);
    expect(verdicts(report)).toEqual({
      identity: 'fail',
      'usb-speed': 'skipped',
      clock: 'skipped',
      testconv1: 'skipped',
      classify: 'skipped',
      'tiled-int8': 'skipped',
      cocompiled: 'skipped',
      latency: 'skipped',
    });
    expect(report.steps[0]!.why).toMatch(/^bootloader 1a6e:089a: the firmware is not loaded/);
    await pool.close();
  });
});
