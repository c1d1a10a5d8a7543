/**
 * `reef run` on a model compiled in segments: the lib's segment pipeline behind one `LoadedModel`
 * (SegmentedModel), placed as the worker places it (src/lib/runtime/segment-placement.ts): `usb:N` runs
 * every segment on that TPU in turn, `usb`/`auto` puts segment k on the k-th ready TPU (pipelined
 * when there are several). Off the TPU it is the app's refusal with the same typed reason: no CPU
 * twin of segments exists, so there is nothing else to run.
 */
import {
  DevicePool,
  checkSegmentSet,
  createSegmentPipeline,
  type SegmentFile,
  type SegmentPipeline,
  type UsbHostLike,
} from '../../lib/edgetpu/index.ts';
import { ReefError } from '../../lib/errors.ts';
import {
  LiteRtRuntime,
  PartitionedEngine,
  SegmentedModel,
  segmentDevices,
  segmentedRefusal,
} from '../../lib/runtime/index.ts';

import { nodeLiteRtLoader } from '../litert-node.ts';
import { listCorals, nodeUsb } from '../usb/node-usb.ts';
import { readyCoral, traceToFile } from '../usb/open-coral.ts';
import { checkDeviceSpec } from './ladder-engine.ts';

/** The specs that name Edge TPUs; every other one (cpu, wasm, webgpu, webnn) is refused. */
const ON_TPU = /^(auto|usb(:\d+)?)$/;

export interface SegmentedEngineOptions {
  /** Opens the USB host (default node-usb's WebUSB; the CLI's deps). */
  openUsb?: () => Promise<UsbHostLike>;
  /** JSON-lines trace file of every USB transfer. */
  trace?: string;
  log?: (line: string) => void;
}

export interface LoadedSegments {
  model: SegmentedModel;
  /** Frames that may be in flight at once: one per TPU the segments are spread over. */
  lanes: number;
  close(): Promise<void>;
}

/** Flashes every Coral in its bootloader that `spec` may use, so the pool finds them ready. */
async function flashBootloaders(
  usb: UsbHostLike,
  spec: string,
  flash: Parameters<typeof readyCoral>[2],
): Promise<void> {
  for (const coral of await listCorals(usb)) {
    if (spec.startsWith('usb:') && coral.id !== spec) continue;
    await readyCoral(usb, coral, flash);
  }
}

/**
 * Loads `files` (checked as one set first) on the Edge TPUs `spec` names. Throws the typed
 * refusal (reason `segmented-needs-tpu`) for cpu, wasm, webgpu and webnn, and with no Coral ready.
 */
export async function loadSegments(
  files: readonly SegmentFile[],
  spec: string,
  options: SegmentedEngineOptions = {},
): Promise<LoadedSegments> {
  checkDeviceSpec(spec);
  const { segments } = checkSegmentSet(files);
  // Off the TPU the refusal comes before any USB is touched.
  if (!ON_TPU.test(spec)) throw segmentedRefusal(spec);
  const usb = await (options.openUsb ?? nodeUsb)();
  const trace = options.trace ? traceToFile(options.trace) : undefined;
  await flashBootloaders(usb, spec, { ...(trace ? { trace } : {}), ...(options.log ? { log: options.log } : {}) });
  const pool = new DevicePool(usb, trace ? { driver: { trace } } : {});
  let pipeline: SegmentPipeline | undefined;
  const runtime = new LiteRtRuntime(nodeLiteRtLoader);
  try {
    const ready = (await pool.refresh()).filter((d) => d.personality === 'app').map((d) => d.id);
    // With no Coral at all, `usb:N` gets the same refusal as `usb`: the set needs a TPU.
    const devices = segmentDevices(
      ready.length ? spec : 'usb',
      ready,
      segments.length,
      'no Coral USB Accelerator found',
    );
    const missing = devices.find((d) => !ready.includes(d));
    if (missing) {
      throw new ReefError('NOT_FOUND', `no Coral ${missing}; connected: ${ready.join(', ')}`, {
        reason: 'unknown-device',
      });
    }
    pipeline = await createSegmentPipeline(pool, segments, {
      devices,
      loadSegment: (bytes, tpu) => new PartitionedEngine({ runtime, tpu }).load(bytes),
    });
    const model = new SegmentedModel(pipeline, segments[0]!.bytes, segments.at(-1)!.bytes);
    const opened = pipeline;
    return {
      model,
      lanes: new Set(devices).size,
      async close() {
        await opened.close();
        await pool.close();
        runtime.discard();
      },
    };
  } catch (error) {
    await pipeline?.close();
    await pool.close();
    runtime.discard();
    throw error;
  }
}
