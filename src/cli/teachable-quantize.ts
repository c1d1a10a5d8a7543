/**
 * `reef quantize` on a Teachable Machine image export (its ZIP, or the folder holding model.json,
 * weights.bin and metadata.json): full-int8 with TM's preprocessing and labels embedded, written
 * twice — the Edge TPU model (uint8 I/O, checked for the Edge TPU) and the CPU model (float I/O) —
 * with each one's top-1 agreement against the float model on the given images.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quantizeTeachable, readTeachableExport, type TeachableFile, type Top1Agreement } from '../lib/learn/index.ts';
import { WasmEngine, type LoadedModel } from '../lib/runtime/index.ts';
import type { CliIo } from './command.ts';
import { readInputFile } from './input-files.ts';
import { readAllImages } from './learn-data.ts';
import { nodeLiteRtLoader } from './litert-node.ts';
import { edgeTpuCheckLine } from './edgetpu-check-line.ts';

/** A ZIP, or a folder with metadata.json beside model.json: what Teachable Machine's export gives. */
export async function isTeachableExport(path: string): Promise<boolean> {
  if (path.toLowerCase().endsWith('.zip')) return true;
  try {
    if (!(await stat(path)).isDirectory()) return false;
    const names = await readdir(path);
    return names.includes('metadata.json') && names.includes('model.json');
  } catch {
    return false;
  }
}

async function exportFiles(path: string): Promise<TeachableFile[]> {
  if (path.toLowerCase().endsWith('.zip')) return [{ name: path, bytes: await readInputFile(path) }];
  const names = (await readdir(path)).filter((n) => ['model.json', 'weights.bin', 'metadata.json'].includes(n));
  return Promise.all(names.map(async (name) => ({ name, bytes: await readInputFile(join(path, name)) })));
}

function agreementLine(which: string, a: Top1Agreement, on: string): string {
  const ties = a.tied ? `, ${a.tied} tied (the 8-bit output cannot tell the top classes apart; not counted)` : '';
  const share = a.total ? ` (${((a.agree / a.total) * 100).toFixed(1)}%)` : '';
  return `${which} top-1 agreement with the float model: ${a.agree}/${a.total}${share}${ties} on ${on}`;
}

export async function quantizeTeachableExport(
  path: string,
  options: { data: string; check?: string; out: string; cpuOut: string; json: boolean },
  io: CliIo,
): Promise<number> {
  const exported = readTeachableExport(await exportFiles(path));
  const calibration = await readAllImages(options.data);
  const check = options.check ? await readAllImages(options.check) : calibration;
  const engine = new WasmEngine(nodeLiteRtLoader);
  // Both models (Edge TPU and CPU) stay loaded: the check alternates between them per image.
  const loaded = new Map<Uint8Array, LoadedModel>();
  try {
    const result = await quantizeTeachable(exported, calibration, check, async (bytes, input) => {
      let model = loaded.get(bytes);
      if (!model) loaded.set(bytes, (model = await engine.load(bytes)));
      return (await model.run([input])).outputs[0]!.data as ArrayLike<number>;
    });
    await writeFile(options.out, result.model);
    await writeFile(options.cpuOut, result.cpuModel);
    const top1 = (a: Top1Agreement) => ({ ...a, top1: a.total ? a.agree / a.total : null });
    const summary = {
      labels: result.labels,
      edgetpuCompatible: result.compatibility.compatible,
      unsupported: result.compatibility.unsupported,
      agreement: top1(result.agreement),
      cpuModel: options.cpuOut,
      cpuAgreement: top1(result.cpuAgreement),
    };
    const on = options.check ? options.check : `the ${calibration.length} calibration images`;
    if (options.json) io.out(JSON.stringify(summary));
    else
      io.out(
        [
          `${options.out}: Teachable Machine model (${result.labels.join(', ')}) for the Edge TPU, full-int8 with uint8 input (pixel bytes) and output, labels embedded`,
          `${options.cpuOut}: the CPU model (same int8 graph, float input x/127-1 and float probabilities out, labels embedded); runs in WASM`,
          agreementLine('Edge TPU model', result.agreement, on),
          agreementLine('CPU model', result.cpuAgreement, on),
          edgeTpuCheckLine(summary),
        ].join('\n'),
      );
    return 0;
  } finally {
    for (const model of loaded.values()) model.dispose();
    engine.dispose();
  }
}
