/**
 * `reef bench --pipeline seg0.tflite seg1.tflite --devices usb:0,usb:1`: throughput of a model
 * compiled as segments, pipelined across Edge TPUs, against the same segments run one after the
 * other on the first device (the baseline, measured in the same run). Each segment's CPU ops (e.g.
 * the SSD's DEQUANTIZE → TFLite_Detection_PostProcess tail) run in WASM through the composite engine.
 * The USB host is injectable so tests can run it on the virtual Coral.
 */
import { basename } from 'node:path';
import { parseOptions } from './options.ts';
import {
  DevicePool,
  createSegmentPipeline,
  orderSegments,
  type PoolOpRunner,
  type SegmentArray,
  type SegmentSource,
  type StageStats,
  type UsbHostLike,
} from '../lib/edgetpu/index.ts';
import { ReefError } from '../lib/errors.ts';
import { LiteRtRuntime, PartitionedEngine, allocateTensorArray, elementCount } from '../lib/runtime/index.ts';
import type { CliIo } from './command.ts';
import { nodeLiteRtLoader } from './litert-node.ts';
import { nodeUsb, permissionHint } from './usb/node-usb.ts';
import { parseClock } from './usb/open-coral.ts';
import { readInputFile } from './input-files.ts';

export const PIPELINE_USAGE = `Usage: reef bench --pipeline <seg0.tflite> <seg1.tflite> … [--devices usb:0,usb:1] [options]

Pipelines a model compiled as segments (*_segment_K_of_N_edgetpu.tflite) across Edge TPUs and
prints frames per second, per-segment times, and the ratio to running the segments one after the
other on the first device.

Options:
  --devices <list>     comma-separated device ids (default: usb:0,usb:1,… one per segment);
                       fewer devices than segments is fine (neighbouring segments share one)
  --frames <n>         frames per measurement (default 100)
  --queue-depth <n>    frames that may wait between two segments (default 2)
  --clock max|std      core clock: max (500 MHz) or std (250 MHz, default)
  --json               print the result as JSON
`;

export interface PipelineBenchResult {
  segments: string[];
  devices: string[];
  frames: number;
  /** Pipelined across the devices. */
  fps: number;
  /** Segments one after the other on `devices[0]`, one frame at a time. */
  sequentialFps: number;
  speedup: number;
  stages: StageStats[];
}

/** Synthetic frames for segment 0's inputs (throughput does not depend on pixel values). */
function framesFor(inputs: readonly { dtype: string; shape: number[] }[], count: number): SegmentArray[][] {
  return [...Array(count).keys()].map((k) =>
    inputs.map((info) => {
      const data = allocateTensorArray(
        info.dtype as Parameters<typeof allocateTensorArray>[0],
        elementCount(info.shape),
      );
      if (data instanceof Uint8Array || data instanceof Int8Array)
        for (let i = 0; i < data.length; i++) data[i] = (i * 13 + k * 7) & 0x7f;
      return data as SegmentArray;
    }),
  );
}

/** Measures the pipeline and the sequential baseline on an already refreshed pool. */
export async function benchPipeline(
  pool: DevicePool,
  sources: readonly SegmentSource[],
  options: { devices: readonly string[]; frames: number; queueDepth?: number },
): Promise<PipelineBenchResult> {
  const runtime = new LiteRtRuntime(nodeLiteRtLoader);
  const loadSegment = (bytes: Uint8Array, tpu: PoolOpRunner) => new PartitionedEngine({ runtime, tpu }).load(bytes);
  try {
    const ordered = orderSegments(sources);
    const first = await new PartitionedEngine({ runtime, tpu: pool.opRunner({ device: options.devices[0] }) }).load(
      ordered[0]!.bytes,
    );
    const frames = framesFor(first.inputs, options.frames);
    first.dispose();

    // Baseline: every segment on the first device, one frame at a time.
    const sequential = await createSegmentPipeline(pool, ordered, {
      devices: [options.devices[0]!],
      loadSegment,
      queueDepth: 1,
    });
    await sequential.runner.push(frames[0]!); // warm-up: parameters uploaded once
    await sequential.runner.pop();
    let start = performance.now();
    for (const frame of frames) {
      await sequential.runner.push(frame);
      await sequential.runner.pop();
    }
    const sequentialFps = (frames.length * 1000) / (performance.now() - start);
    await sequential.close();

    const pipeline = await createSegmentPipeline(pool, ordered, {
      devices: options.devices,
      loadSegment,
      queueDepth: options.queueDepth ?? 2,
    });
    await pipeline.runner.push(frames[0]!);
    await pipeline.runner.pop();
    start = performance.now();
    const producer = (async () => {
      for (const frame of frames) await pipeline.runner.push(frame);
    })();
    for (let k = 0; k < frames.length; k++) await pipeline.runner.pop();
    await producer;
    const fps = (frames.length * 1000) / (performance.now() - start);
    const stages = pipeline.runner.stats();
    await pipeline.close();
    return {
      segments: pipeline.segments,
      devices: pipeline.devices,
      frames: frames.length,
      fps,
      sequentialFps,
      speedup: fps / sequentialFps,
      stages,
    };
  } finally {
    runtime.discard();
  }
}

export function formatPipelineBench(result: PipelineBenchResult): string[] {
  return [
    `pipeline: ${result.segments.length} segments on ${[...new Set(result.devices)].join(', ')}, ${result.frames} frames`,
    ...result.stages.map((s) => `  ${s.name}: mean ${s.meanMs.toFixed(2)} ms over ${s.runs} runs`),
    `pipelined:  ${result.fps.toFixed(1)} frames/s`,
    `sequential: ${result.sequentialFps.toFixed(1)} frames/s (all segments on ${result.devices[0]}, one frame at a time)`,
    `speedup: ${result.speedup.toFixed(2)}x`,
  ];
}

/** The `--pipeline` mode of `reef bench`; `args` are bench's arguments. */
export async function runPipelineBench(args: string[], io: CliIo, usbHost?: UsbHostLike): Promise<number> {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    options: {
      pipeline: { type: 'boolean' },
      devices: { type: 'string' },
      frames: { type: 'string', default: '100' },
      'queue-depth': { type: 'string', default: '2' },
      clock: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) {
    io.err(PIPELINE_USAGE);
    return 2;
  }
  const frames = Number(values.frames);
  const queueDepth = Number(values['queue-depth']);
  if (!Number.isInteger(frames) || frames < 1)
    throw new ReefError('INVALID_ARGUMENT', `--frames ${values.frames} is not a positive integer`, {
      reason: 'bad-option',
    });
  const clock = parseClock(values.clock);
  const sources = await Promise.all(
    positionals.map(async (path) => ({ name: basename(path), bytes: await readInputFile(path) })),
  );
  const pool = new DevicePool(usbHost ?? (await nodeUsb()), { driver: clock ? { clock } : {} });
  try {
    let listed;
    try {
      listed = await pool.refresh();
    } catch (error) {
      throw new ReefError(
        'UNAVAILABLE',
        `cannot list USB devices (${error instanceof Error ? error.message : String(error)}). ${permissionHint()}`,
        { reason: 'usb-unavailable', cause: error },
      );
    }
    const found = listed.filter((d) => d.personality === 'app');
    if (found.length === 0) {
      throw new ReefError(
        'UNAVAILABLE',
        `no Coral USB Accelerator ready (none found, or only in its DFU bootloader: run \`reef flash\`). ${permissionHint()}`,
        { reason: 'no-tpu' },
      );
    }
    const devices =
      values.devices
        ?.split(',')
        .map((d) => d.trim())
        .filter(Boolean) ?? found.slice(0, positionals.length).map((d) => d.id);
    for (const d of found) if (d.speedWarning && devices.includes(d.id)) io.err(`warning: ${d.id}: ${d.speedWarning}`);
    const result = await benchPipeline(pool, sources, { devices, frames, queueDepth });
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else for (const line of formatPipelineBench(result)) io.out(line);
    return 0;
  } finally {
    await pool.close();
  }
}
