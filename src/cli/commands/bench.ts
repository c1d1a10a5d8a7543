import { parseArgs } from 'node:util';
import type { UsbHostLike } from '../../lib/edgetpu/index.ts';
import { ReefError } from '../../lib/errors.ts';
import type { CliIo, Command } from '../command.ts';
import { nodeUsb } from '../usb/node-usb.ts';
import { openCoral, parseClock, traceToFile } from '../usb/open-coral.ts';
import { readInputFile } from '../input-files.ts';

const USAGE = `Usage: reef bench <model_edgetpu.tflite> --device usb[:N] [options]

Times the Edge TPU part of a compiled model on a Coral: the first run (which uploads the cached
parameters) and then --runs inferences with fixed inputs. Prints latency (mean, p50, p90, min),
throughput, and the bytes moved on the USB bus per inference.

Options:
  --device usb[:N]   which Coral (required)
  --runs N           timed inferences (default 100)
  --warmup N         untimed inferences after the first (default 5)
  --clock max|std    core clock: max (500 MHz) or std (250 MHz, default)
  --firmware FILE    firmware to flash if the Coral is in DFU mode (default: pinned download)
  --trace FILE       record every USB transfer as JSON lines
  --json             print the result as JSON

Pipeline mode (several Corals):
  reef bench --pipeline <seg0.tflite> <seg1.tflite> … [--devices usb:0,usb:1] [--frames N] [--queue-depth N]
  frames/s of *_segment_K_of_N_edgetpu.tflite pipelined across the devices vs in sequence on one.
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function benchModel(args: string[], io: CliIo, usb: UsbHostLike): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      device: { type: 'string' },
      runs: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '5' },
      clock: { type: 'string' },
      firmware: { type: 'string' },
      trace: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [modelFile] = positionals;
  if (!modelFile || !values.device) {
    io.err(USAGE);
    return 2;
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
    throw new ReefError('INVALID_ARGUMENT', '--runs must be ≥ 1 and --warmup ≥ 0', { reason: 'bad-runs' });
  }
  const clock = parseClock(values.clock);
  const bytes = await readInputFile(modelFile);
  const trace = values.trace ? traceToFile(values.trace) : undefined;
  const { tpu, id } = await openCoral(usb, {
    spec: values.device,
    log: io.err,
    ...(values.firmware ? { firmwareFile: values.firmware } : {}),
    ...(clock ? { clock } : {}),
    ...(trace ? { trace } : {}),
  });
  try {
    const model = await tpu.load(bytes);
    const inputs = model.inputs.map((spec) => new Uint8Array(spec.sizeBytes).fill(128));
    let t = performance.now();
    await model.run(inputs);
    const firstMs = performance.now() - t;
    for (let i = 0; i < warmup; i++) await model.run(inputs);
    const before = { ...tpu.stats };
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      await model.run(inputs);
      times.push(performance.now() - t);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / runs;
    const result = {
      model: modelFile,
      device: id,
      speed: tpu.info?.speed,
      clock: tpu.info?.clock,
      cpuOpsNotTimed: model.hasCpuOps,
      firstRunMs: round(firstMs),
      meanMs: round(mean),
      p50Ms: round(percentile(sorted, 0.5)),
      p90Ms: round(percentile(sorted, 0.9)),
      minMs: round(sorted[0]!),
      inferencesPerSecond: round(1000 / mean),
      bytesOutPerInference: Math.round((tpu.stats.bytesOut - before.bytesOut) / runs),
      bytesInPerInference: Math.round((tpu.stats.bytesIn - before.bytesIn) / runs),
      parameterUploads: tpu.stats.parameterUploads,
    };
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(
        `${modelFile} on ${id} (${result.speed}, clock ${result.clock})${model.hasCpuOps ? ' — Edge TPU op only' : ''}`,
      );
      io.out(`  first run (incl. parameter upload): ${result.firstRunMs} ms`);
      io.out(
        `  ${runs} runs: mean ${result.meanMs} ms, p50 ${result.p50Ms}, p90 ${result.p90Ms}, min ${result.minMs} (${result.inferencesPerSecond}/s)`,
      );
      io.out(`  bus per inference: ${result.bytesOutPerInference} B out, ${result.bytesInPerInference} B in`);
    }
    return 0;
  } finally {
    await tpu.close();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const command: Command = {
  name: 'bench',
  summary: 'time a compiled model on a Coral (--device usb:N): latency, throughput, bytes on the bus',
  usage: USAGE,
  async run(args, io) {
    // Pipelined segments across several Corals live in their own module (issue 7).
    if (args.includes('--pipeline')) return (await import('../pipeline-bench.ts')).runPipelineBench(args, io);
    return benchModel(args, io, await nodeUsb());
  },
};
