/**
 * The CPU twin of a compiled model on the command line: the file given (`--cpu-twin`,
 * `--embed-with`) or, failing that, `x.tflite` beside `x_edgetpu.tflite`. Either is checked
 * against the compiled model's I/O signature, so a wrong twin is an error, never a wrong result.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkCpuTwin, isCompiledForEdgeTpu, modelSignature, twinFileName } from '../../lib/zoo/cpu-twin.ts';
import { readModel } from '../../lib/tflite/index.ts';
import { readInputFile } from '../input-files.ts';

export interface CpuTwinFile {
  path: string;
  bytes: Uint8Array;
  /** True when it was found beside the model rather than named by the user. */
  found: boolean;
}

/** The twin's path beside a compiled model (`dir/x_edgetpu.tflite` → `dir/x.tflite`), if that file exists. */
export function twinBeside(modelFile: string): string | undefined {
  const name = twinFileName(basename(modelFile));
  const path = name === undefined ? undefined : join(dirname(modelFile), name);
  return path !== undefined && existsSync(path) ? path : undefined;
}

/**
 * The checked CPU twin for `modelFile`, or undefined when the model is not compiled (and none was
 * given) or no twin is beside it.
 */
export async function cpuTwinFile(
  modelFile: string,
  modelBytes: Uint8Array,
  given: string | undefined,
): Promise<CpuTwinFile | undefined> {
  const model = readModel(modelBytes);
  const path = given ?? (isCompiledForEdgeTpu(model) ? twinBeside(modelFile) : undefined);
  if (path === undefined) return undefined;
  const bytes = await readInputFile(path);
  checkCpuTwin(
    { name: basename(modelFile), signature: modelSignature(model) },
    { name: basename(path), signature: modelSignature(readModel(bytes)) },
  );
  return { path, bytes, found: given === undefined };
}
