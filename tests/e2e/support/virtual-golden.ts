/**
 * testconv1 on the virtual Coral of the TEST build: the self-test's bit-exact step needs it, and it
 * is no catalog entry. Its output is coralmicro's golden file, answered only for the golden input
 * (as tests/emulator/node-fixtures.ts does in Node). Browser-safe: fetched from the fixture mirror.
 */
import { doctorFile } from '../../../src/lib/doctor/files.ts';
import { fileUrl } from '../../../src/lib/zoo/index.ts';
import type { ComputeFn } from '../../emulator/app-function.ts';
import { readEmulatedModel } from '../../emulator/executable-model.ts';
import type { VirtualCoral } from '../../emulator/virtual-coral.ts';

type Registration = Parameters<VirtualCoral['registerModel']>;

async function fetchBytes(url: string): Promise<Uint8Array | undefined> {
  const response = await fetch(url);
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
}

export async function goldenModels(mirror: string): Promise<Registration[]> {
  const [model, input, expected] = await Promise.all(
    ['testconv1-edgetpu.tflite', 'testconv1-test-input.bin', 'testconv1-expected-output.bin'].map((name) =>
      fetchBytes(fileUrl(doctorFile(name), mirror)),
    ),
  );
  if (!model || !input || !expected) return []; // not mirrored
  const program = readEmulatedModel(model);
  const compute: ComputeFn = (inputs) => {
    const got = [...inputs.values()][0];
    if (!got || got.length !== input.length || got.some((b, i) => b !== input[i])) {
      throw new Error('testconv1 twin: only the golden input has a known output');
    }
    return new Map([[program.main.outputLayers[0]!.name, expected]]);
  };
  return [['testconv1-edgetpu.tflite', program, compute]];
}
