import { parseOptions } from '../options.ts';
import type { UsbHostLike } from '../../lib/edgetpu/index.ts';
import { ReefError } from '../../lib/errors.ts';
import type { CliIo, Command } from '../command.ts';
import { nodeUsb } from '../usb/node-usb.ts';
import { openCoral, parseClock, traceToFile } from '../usb/open-coral.ts';
import { readInputFile } from '../input-files.ts';
import { cpuTwinFile } from '../run/cpu-twin-file.ts';
import { calibrationInputs } from '../../lib/runtime/index.ts';
import { checkDeviceSpec, createLadderEngine } from '../run/ladder-engine.ts';

const USAGE = `Usage: reef bench <model.tflite> --device auto|cpu|wasm|webgpu|usb[:N] [options]

With usb[:N]: times the Edge TPU part of a compiled model on a Coral: the first run (which uploads
the cached parameters) and then --runs inferences with fixed inputs. Prints latency (mean, p50,
p90, min), throughput, and the bytes moved on the USB bus per inference.
With auto, cpu (wasm) or webgpu: times the whole model on the engine the ladder gives (auto:
measured once per model and cached; webgpu only where Node has navigator.gpu).

Options:
  --device <spec>    usb, usb:N (a Coral), auto, cpu, wasm or webgpu (required)
  --cpu-twin FILE    the CPU version of a compiled model (for auto/cpu/webgpu without a Coral;
                     default: x.tflite beside x_edgetpu.tflite), checked against its inputs and outputs
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
  const { values, positionals } = parseOptions({
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
      'cpu-twin': { type: 'string' },
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
  checkDeviceSpec(values.device);
  if (!values.device.startsWith('usb')) {
    return benchOnLadder(
      modelFile,
      values.device,
      { runs, warmup, json: values.json, cpuTwin: values['cpu-twin'] },
      io,
    );
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

/** `--device auto|cpu|wasm|webgpu`: the whole model on the ladder's engine, fixed inputs. */
async function benchOnLadder(
  modelFile: string,
  device: string,
  options: { runs: number; warmup: number; json: boolean; cpuTwin: string | undefined },
  io: CliIo,
): Promise<number> {
  const bytes = await readInputFile(modelFile);
  const cpuTwin = (await cpuTwinFile(modelFile, bytes, options.cpuTwin))?.bytes;
  const engine = createLadderEngine(device, { log: io.err });
  try {
    const model = await engine.load(bytes, cpuTwin ? { cpuTwin } : {});
    const inputs = calibrationInputs(model.inputs);
    const first = (await model.run(inputs)).ms;
    for (let i = 0; i < options.warmup; i++) await model.run(inputs);
    const times: number[] = [];
    for (let i = 0; i < options.runs; i++) times.push((await model.run(inputs)).ms);
    model.dispose();
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const answer = engine.last!;
    const result = {
      model: modelFile,
      requested: device,
      engine: model.engine,
      device: model.device,
      label: answer.label,
      ...(answer.fallback ? { fallback: answer.fallback } : {}),
      decision: answer.decision,
      firstRunMs: round(first),
      meanMs: round(mean),
      p50Ms: round(percentile(sorted, 0.5)),
      p90Ms: round(percentile(sorted, 0.9)),
      minMs: round(sorted[0]!),
      inferencesPerSecond: round(1000 / mean),
    };
    if (options.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`${modelFile} on ${answer.label} (${model.engine}, ${model.device})`);
      io.out(`  first run: ${result.firstRunMs} ms`);
      io.out(
        `  ${options.runs} runs: mean ${result.meanMs} ms, p50 ${result.p50Ms}, p90 ${result.p90Ms}, min ${result.minMs} (${result.inferencesPerSecond}/s)`,
      );
    }
    return 0;
  } finally {
    engine.dispose();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const command: Command = {
  name: 'bench',
  summary: 'time a model on a Coral (--device usb:N: latency, throughput, bytes on the bus) or on auto/cpu/webgpu',
  usage: USAGE,
  async run(args, io, deps) {
    // Pipelined segments across several Corals live in their own module (issue 7).
    if (args.includes('--pipeline')) return (await import('../pipeline-bench.ts')).runPipelineBench(args, io);
    return benchModel(args, io, await (deps?.usb ?? nodeUsb)());
  },
};
