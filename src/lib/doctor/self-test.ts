/**
 * "Check my Coral": one script for the Devices page (through the accelerator worker) and
 * `reef doctor`. It reads the stick's identity, link speed and clock, then runs known-answer tests
 * whose answers come from outside Reef's driver: testconv1's golden output (coralmicro compares it
 * bit-exactly), the CPU twins of Coral's compiled models run on LiteRT.js, the parameter-upload
 * count of a co-compiled pair, and Coral's published latency. A step whose files are missing is
 * skipped and says how to get them: never a pass without a test.
 */
import type { DevicePool, ManagedDevice } from '../edgetpu/index.ts';
import { ReefError } from '../errors.ts';
import {
  LiteRtRuntime,
  PartitionedEngine,
  dequantize,
  type LiteRtLoader,
  type LoadedModel,
  type TensorArray,
} from '../runtime/index.ts';
import { decodeBmp, imageToTensor } from '../tasks/index.ts';
import { catalogTitleOf, doctorFile, SELF_TEST_FILES, type DoctorFileSource } from './files.ts';
import { LATENCY_FACTOR_OK, publishedLatency } from './published-latency.ts';
import {
  outcomeOf,
  summaryOf,
  type DeviceIdentity,
  type DoctorReport,
  type StepId,
  type StepResult,
} from './report.ts';

/** Classification: the TPU's top-1 must be the CPU twin's, and every score within this of the twin's. */
export const CLASSIFY_SCORE_TOLERANCE = 0.1;
/**
 * MoveNet keypoints (normalised 0..1 coordinates) within this of the CPU twin's. Coral's own
 * reference CSVs for this model (Edge TPU vs CPU, test_data) differ by up to 0.02; keypoint scores
 * differ by up to 0.4 there, so they are not compared.
 */
export const KEYPOINT_TOLERANCE = 0.05;

export interface DoctorHost {
  pool: DevicePool;
  /** `usb` (the first Coral) or `usb:N`. Default `usb`. */
  device?: string;
  /** LiteRT.js for the CPU twins and the CPU ops around Edge TPU ops (one runtime per run). */
  liteRtLoader: LiteRtLoader;
  files: DoctorFileSource;
  /** Browser/Node, OS, versions: goes into the report as is. */
  environment: Record<string, string>;
  reefVersion: string;
  /** Timed runs for the latency step. Default 20. */
  latencyRuns?: number;
  /** Called as each step finishes (the page shows verdicts as they come). */
  onStep?: (step: StepResult) => void;
  now?: () => number;
}

const TITLES: Record<StepId, string> = {
  identity: 'Identity and firmware',
  'usb-speed': 'USB speed',
  clock: 'Open and clock',
  testconv1: 'testconv1 golden output (bit-exact)',
  classify: 'Classification vs CPU twin (cat.bmp)',
  'tiled-int8': 'Tiled int8 outputs (MoveNet vs CPU twin)',
  cocompiled: 'Co-compiled pair: no parameter re-upload',
  latency: 'Latency vs published figure',
};

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

function identityOf(managed: ManagedDevice): DeviceIdentity {
  const d = managed.device;
  return {
    id: managed.id,
    personality: managed.personality,
    vendorId: hex4(d.vendorId),
    productId: hex4(d.productId),
    serialNumber: d.serialNumber ?? null,
    manufacturerName: d.manufacturerName ?? null,
    productName: d.productName ?? null,
    usbVersion: `${d.usbVersionMajor}.${d.usbVersionMinor}.${d.usbVersionSubminor}`,
    deviceVersion: `${d.deviceVersionMajor}.${d.deviceVersionMinor}.${d.deviceVersionSubminor}`,
    speed: managed.speed,
  };
}

const SPEED_TEXT = {
  super: 'USB 3 SuperSpeed (1024-byte bulk packets)',
  high: 'USB 2 high speed (512-byte bulk packets): inference is 4–12× slower than on USB 3; use a USB 3 port and cable',
  full: 'USB full speed (64-byte bulk packets): very slow; use a USB 3 port and cable',
  unknown: 'unknown: the stick reports no bulk endpoints',
} as const;

/** A step ends with a verdict; throwing this skips it. */
class Skip extends Error {}

function errorLine(error: unknown): string {
  if (error instanceof ReefError) return `${error.message} [${error.code}${error.reason ? `/${error.reason}` : ''}]`;
  return error instanceof Error ? error.message : String(error);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function argMax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function asBytes(data: TensorArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Runs the self-test on one Coral of `host.pool` and returns the report (no trace: the host adds it). */
export async function runSelfTest(host: DoctorHost): Promise<DoctorReport> {
  const now = host.now ?? (() => performance.now());
  const started = now();
  const base = {
    tool: 'reef doctor' as const,
    reefVersion: host.reefVersion,
    startedAt: new Date().toISOString(),
    environment: host.environment,
  };
  await host.pool.refresh();
  const spec = host.device ?? 'usb';
  const managed = host.pool.manager.get(spec);
  if (!managed) {
    const known = host.pool.manager.list().map((d) => d.id);
    return {
      ...base,
      outcome: 'no-device',
      summary: known.length
        ? `No Coral ${spec}; connected: ${known.join(', ')}. Nothing was tested.`
        : 'No Coral USB Accelerator is connected (looked for 1a6e:089a and 18d1:9302). Nothing was tested.',
      steps: [],
      totalMs: now() - started,
    };
  }

  const steps: StepResult[] = [];
  const runtime = new LiteRtRuntime(host.liteRtLoader);
  const cpu = new PartitionedEngine({ runtime });
  const loaded: LoadedModel[] = [];
  const tpuEngine = (name: string): PartitionedEngine =>
    new PartitionedEngine({ runtime, tpu: host.pool.opRunner({ device: managed.id, name: `self-test: ${name}` }) });
  const loadTpu = async (name: string, bytes: Uint8Array): Promise<LoadedModel> => {
    const model = await tpuEngine(name).load(bytes);
    loaded.push(model);
    return model;
  };
  const loadCpu = async (bytes: Uint8Array): Promise<LoadedModel> => {
    const model = await cpu.load(bytes);
    loaded.push(model);
    return model;
  };
  const need = async (names: readonly string[]): Promise<Uint8Array[]> => {
    const got = await Promise.all(names.map((n) => host.files.get(doctorFile(n)).catch(() => undefined)));
    const missing = names.filter((_, i) => !got[i]);
    if (missing.length) {
      const titles = [...new Set(missing.map(catalogTitleOf).filter((t): t is string => !!t))];
      throw new Skip(
        `model not available: ${missing.join(', ')}${titles.length ? ` (catalog: ${titles.join(', ')})` : ''}. ${host.files.howToGet(missing)}`,
      );
    }
    return got as Uint8Array[];
  };
  const step = async (
    id: StepId,
    body: () => Promise<Omit<StepResult, 'id' | 'title' | 'ms'>>,
  ): Promise<StepResult> => {
    const t = now();
    let result: Omit<StepResult, 'id' | 'title' | 'ms'>;
    try {
      result = await body();
    } catch (error) {
      result =
        error instanceof Skip ? { verdict: 'skipped', why: error.message } : { verdict: 'fail', why: errorLine(error) };
    }
    const done: StepResult = { id, title: TITLES[id], ms: round(now() - t, 1), ...result };
    steps.push(done);
    host.onStep?.(done);
    return done;
  };
  const deviceInfo = () => host.pool.device(managed.id);

  try {
    const identity = await step('identity', async () => {
      const id = identityOf(managed);
      const details = { ...id };
      if (managed.personality === 'dfu') {
        return {
          verdict: 'fail',
          why: `bootloader ${id.vendorId}:${id.productId}: the firmware is not loaded (install it first: Devices → Install firmware, or reef flash)`,
          details,
        };
      }
      return {
        verdict: 'pass',
        why: `application mode ${id.vendorId}:${id.productId} (firmware running), serial ${id.serialNumber ?? 'not reported'}, USB ${id.usbVersion}`,
        details,
      };
    });
    await step('usb-speed', () =>
      Promise.resolve({
        verdict: managed.speed === 'super' ? 'pass' : managed.personality === 'dfu' ? 'skipped' : 'warn',
        why:
          managed.personality === 'dfu'
            ? 'known once the firmware runs (a bootloader has no bulk endpoints)'
            : SPEED_TEXT[managed.speed],
        details: { speed: managed.speed },
      }),
    );
    if (identity.verdict === 'fail') {
      for (const id of ['clock', 'testconv1', 'classify', 'tiled-int8', 'cocompiled', 'latency'] as const) {
        await step(id, () => Promise.reject(new Skip('needs the firmware (see "Identity and firmware")')));
      }
      return finish();
    }

    // testconv1 is loaded first: placing it opens the TPU, so the clock is then known.
    let testconv1: { model: LoadedModel; input: Uint8Array; expected: Uint8Array } | undefined;
    let testconv1Missing: Skip | undefined;
    await step('clock', async () => {
      let files: Uint8Array[];
      try {
        files = await need(SELF_TEST_FILES.testconv1);
      } catch (error) {
        if (!(error instanceof Skip)) throw error;
        testconv1Missing = error;
        // Still open the TPU: the open sequence and its clock are worth checking on their own.
        await loadTpu('open', await need(SELF_TEST_FILES.classify.slice(0, 1)).then((f) => f[0]!));
        files = [];
      }
      if (files.length)
        testconv1 = { model: await loadTpu('testconv1', files[0]!), input: files[1]!, expected: files[2]! };
      const clock = deviceInfo()?.clock ?? null;
      if (!clock) return { verdict: 'fail', why: 'the TPU did not report a clock after opening' };
      const text = clock === 'max' ? 'max (500 MHz)' : clock === 'high' ? 'high = std (250 MHz)' : clock;
      return { verdict: 'pass', why: `opened; core clock preset ${text}`, details: { clock } };
    });

    await step('testconv1', async () => {
      if (testconv1Missing) throw testconv1Missing;
      if (!testconv1) throw new Skip('the TPU did not open (see "Open and clock")');
      const { model, input, expected } = testconv1;
      const out = asBytes((await model.run([input])).outputs[0]!.data);
      let differing = 0;
      let first = -1;
      for (let i = 0; i < expected.length; i++) {
        if (out[i] !== expected[i]) {
          differing++;
          if (first < 0) first = i;
        }
      }
      if (out.length !== expected.length || differing > 0) {
        return {
          verdict: 'fail',
          why: `output differs from the golden file: ${differing} of ${expected.length} bytes${first >= 0 ? `, first at byte ${first} (got ${out[first]}, expected ${expected[first]})` : ''}${out.length !== expected.length ? `, ${out.length} bytes instead of ${expected.length}` : ''}`,
          details: { differingBytes: differing, firstDifference: first },
        };
      }
      return { verdict: 'pass', why: `all ${expected.length} output bytes equal coralmicro's golden file` };
    });

    await step('classify', async () => {
      const [compiled, twin, image] = await need(SELF_TEST_FILES.classify);
      const tpu = await loadTpu('classify', compiled!);
      const ref = await loadCpu(twin!);
      const input = imageToTensor(decodeBmp(image!), tpu.inputs[0]!).data;
      const tpuScores = dequantize((await tpu.run([input])).outputs[0]!);
      const cpuScores = dequantize((await ref.run([input])).outputs[0]!);
      const [tpuTop, cpuTop] = [argMax(tpuScores), argMax(cpuScores)];
      const diff = maxAbsDiff(tpuScores, cpuScores);
      const details = {
        tpuTop1: tpuTop,
        cpuTop1: cpuTop,
        tpuTop1Score: round(tpuScores[tpuTop]!),
        cpuTop1Score: round(cpuScores[cpuTop]!),
        maxScoreDifference: round(diff),
        tolerance: CLASSIFY_SCORE_TOLERANCE,
      };
      if (tpuTop !== cpuTop) {
        return { verdict: 'fail', why: `top-1 class ${tpuTop} on the TPU, ${cpuTop} on the CPU twin`, details };
      }
      if (diff > CLASSIFY_SCORE_TOLERANCE) {
        return {
          verdict: 'fail',
          why: `same top-1 (class ${tpuTop}) but scores differ by up to ${round(diff)} (tolerance ${CLASSIFY_SCORE_TOLERANCE})`,
          details,
        };
      }
      return {
        verdict: 'pass',
        why: `top-1 class ${tpuTop} as on the CPU twin (score ${details.tpuTop1Score} vs ${details.cpuTop1Score}); largest score difference ${round(diff)} (tolerance ${CLASSIFY_SCORE_TOLERANCE})`,
        details,
      };
    });

    await step('tiled-int8', async () => {
      const [compiled, twin, image] = await need(SELF_TEST_FILES.tiledInt8);
      const tpu = await loadTpu('tiled int8', compiled!);
      const ref = await loadCpu(twin!);
      const input = imageToTensor(decodeBmp(image!), tpu.inputs[0]!).data;
      // Output [1,1,17,3]: (y, x, score) per keypoint; the TPU op's five outputs are tiled int8.
      const a = dequantize((await tpu.run([input])).outputs[0]!);
      const b = dequantize((await ref.run([input])).outputs[0]!);
      let worst = 0;
      let worstKeypoint = 0;
      for (let k = 0; k < 17; k++) {
        const d = Math.max(Math.abs(a[k * 3]! - b[k * 3]!), Math.abs(a[k * 3 + 1]! - b[k * 3 + 1]!));
        if (!(d <= worst)) {
          worst = d;
          worstKeypoint = k;
        }
      }
      const details = { maxKeypointDistance: round(worst, 4), worstKeypoint, tolerance: KEYPOINT_TOLERANCE };
      if (!(worst <= KEYPOINT_TOLERANCE)) {
        return {
          verdict: 'fail',
          why: `keypoint ${worstKeypoint} is ${round(worst, 4)} away from the CPU twin's (tolerance ${KEYPOINT_TOLERANCE})`,
          details,
        };
      }
      return {
        verdict: 'pass',
        why: `17 keypoints at most ${round(worst, 4)} from the CPU twin's (tolerance ${KEYPOINT_TOLERANCE})`,
        details,
      };
    });

    await step('cocompiled', async () => {
      const [first, second] = await need(SELF_TEST_FILES.cocompiled);
      const a = await loadTpu('co-compiled A', first!);
      const b = await loadTpu('co-compiled B', second!);
      const inputOf = (m: LoadedModel) => new Uint8Array(m.inputs[0]!.shape.reduce((n, d) => n * d, 1)).fill(128);
      const [inA, inB] = [inputOf(a), inputOf(b)];
      // Each model's parameters go up once (libedgetpu does the same); after that they share the cache.
      const start = deviceInfo()?.parameterUploads ?? 0;
      await a.run([inA]);
      await b.run([inB]);
      const before = deviceInfo()?.parameterUploads ?? 0;
      for (let i = 0; i < 3; i++) {
        await b.run([inB]);
        await a.run([inA]);
      }
      const uploads = (deviceInfo()?.parameterUploads ?? 0) - before;
      const details = { firstRunUploads: before - start, alternatingRuns: 6, parameterUploads: uploads };
      if (uploads > 0) {
        return {
          verdict: 'fail',
          why: `${uploads} parameter upload(s) while alternating the two co-compiled models (expected 0: they share one cache)`,
          details,
        };
      }
      return {
        verdict: 'pass',
        why: `${before - start} parameter uploads on the first run of each, then 0 in 6 alternating runs`,
        details,
      };
    });

    await step('latency', async () => {
      const [compiled, image] = await need(SELF_TEST_FILES.latency);
      const name = SELF_TEST_FILES.latency[0];
      const model = await loadTpu('latency', compiled!);
      const input = imageToTensor(decodeBmp(image!), model.inputs[0]!).data;
      await model.run([input]); // first run uploads the parameters: not timed
      const runs = host.latencyRuns ?? 20;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = now();
        await model.run([input]);
        times.push(now() - t);
      }
      times.sort((x, y) => x - y);
      const median = times[Math.floor(times.length / 2)]!;
      const published = publishedLatency(name, managed.speed);
      const details = {
        model: name,
        runs,
        medianMs: round(median, 2),
        minMs: round(times[0]!, 2),
        speed: managed.speed,
        publishedMs: published?.ms ?? null,
        publishedSource: published?.source ?? null,
      };
      if (!published) {
        return {
          verdict: 'skipped',
          why: `median ${round(median, 2)} ms over ${runs} runs; Coral published no figure for this model at ${managed.speed} speed, so there is nothing to compare with`,
          details,
        };
      }
      const ratio = median / published.ms;
      const text = `median ${round(median, 2)} ms over ${runs} runs; published figure ${published.ms} ms for ${published.model} at USB 3 (${round(ratio, 1)}×)`;
      return ratio <= LATENCY_FACTOR_OK
        ? {
            verdict: 'pass',
            why: `${text}, within ${LATENCY_FACTOR_OK}×`,
            details: { ...details, ratio: round(ratio, 2) },
          }
        : {
            verdict: 'warn',
            why: `${text}: slower than ${LATENCY_FACTOR_OK}× (informative: host CPU, hub and other USB traffic count too)`,
            details: { ...details, ratio: round(ratio, 2) },
          };
    });
    return finish();
  } finally {
    for (const model of loaded) model.dispose();
    runtime.discard();
  }

  function finish(): DoctorReport {
    return {
      ...base,
      outcome: outcomeOf(steps),
      summary: summaryOf(steps),
      device: identityOf(managed!),
      steps,
      totalMs: round(now() - started, 1),
    };
  }
}
