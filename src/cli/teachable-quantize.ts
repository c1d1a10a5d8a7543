/**
 * `reef quantize` on a Teachable Machine image export (its ZIP, or the folder holding model.json,
 * weights.bin and metadata.json): full-int8 with TM's preprocessing and labels embedded, checked
 * for the Edge TPU, with top-1 agreement against the float model on the given images.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quantizeTeachable, readTeachableExport, type TeachableFile } from '../lib/learn/index.ts';
import { WasmEngine, type LoadedModel } from '../lib/runtime/index.ts';
import type { CliIo } from './command.ts';
import { readInputFile } from './input-files.ts';
import { readAllImages } from './learn-data.ts';
import { nodeLiteRtLoader } from './litert-node.ts';

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

export async function quantizeTeachableExport(
  path: string,
  options: { data: string; check?: string; out: string; json: boolean },
  io: CliIo,
): Promise<number> {
  const exported = readTeachableExport(await exportFiles(path));
  const calibration = await readAllImages(options.data);
  const check = options.check ? await readAllImages(options.check) : calibration;
  const engine = new WasmEngine(nodeLiteRtLoader);
  let loaded: { bytes: Uint8Array; model: LoadedModel } | undefined;
  try {
    const result = await quantizeTeachable(exported, calibration, check, async (bytes, pixels) => {
      if (loaded?.bytes !== bytes) {
        loaded?.model.dispose();
        loaded = { bytes, model: await engine.load(bytes) };
      }
      return (await loaded.model.run([pixels])).outputs[0]!.data as Uint8Array;
    });
    await writeFile(options.out, result.model);
    const agreement = result.agreement.total ? result.agreement.agree / result.agreement.total : null;
    const summary = {
      labels: result.labels,
      edgetpuCompatible: result.compatibility.compatible,
      unsupported: result.compatibility.unsupported,
      agreement: { ...result.agreement, top1: agreement },
    };
    if (options.json) io.out(JSON.stringify(summary));
    else
      io.out(
        [
          `${options.out}: Teachable Machine model (${result.labels.join(', ')}), full-int8, labels embedded; runs in WASM as it is`,
          `top-1 agreement with the float model: ${result.agreement.agree}/${result.agreement.total}${agreement === null ? '' : ` (${(agreement * 100).toFixed(1)}%)`} on ${options.check ? options.check : `the ${calibration.length} calibration images`}`,
          summary.edgetpuCompatible
            ? 'Edge TPU: every op can be mapped (compile with edgetpu_compiler)'
            : `Edge TPU: ${summary.unsupported.length} problem(s): ${summary.unsupported.map((u) => u.reason).join('; ')}`,
        ].join('\n'),
      );
    return 0;
  } finally {
    loaded?.model.dispose();
    engine.dispose();
  }
}
