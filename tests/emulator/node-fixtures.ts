/**
 * Node-only helpers around the virtual Coral: read fixture models and firmware, read what each
 * model makes the device expect (the emulator's own reading, executable-model.ts), and the CPU
 * twins known without a WASM runtime (testconv1's golden pair). Kept out of the core emulator
 * files so a browser test build can bundle those.
 */
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import type { ComputeFn } from './app-function.ts';
import { readEmulatedModel, type EmulatedModel } from './executable-model.ts';
import { VirtualCoral, type VirtualCoralOptions } from './virtual-coral.ts';

/** A fixture's bytes and the emulator's reading of them (`program`: what the device expects). */
export async function fixtureProgram(name: FixtureName): Promise<{ bytes: Uint8Array; program: EmulatedModel }> {
  const bytes = await readFixture(name);
  return { bytes, program: readEmulatedModel(bytes) };
}

/** testconv1's golden pair (coralmicro compares it bit-exactly): the twin answers only that input. */
export async function testconv1Twin(program: EmulatedModel): Promise<ComputeFn> {
  const input = await readFixture('testconv1-test-input.bin');
  const expected = await readFixture('testconv1-expected-output.bin');
  const inName = program.main.inputLayers[0]!.name;
  const outName = program.main.outputLayers[0]!.name;
  return (inputs) => {
    const got = inputs.get(inName);
    if (!got || got.length !== input.length || got.some((b, i) => b !== input[i])) {
      throw new Error('testconv1 twin: only the golden input has a known output');
    }
    return new Map([[outName, expected]]);
  };
}

export async function firmwareImage(): Promise<Uint8Array> {
  return readFixture('apex_latest_single_ep.bin');
}

/** A coral already running firmware with the given fixture models registered. */
export async function coralWith(
  models: FixtureName[],
  options: VirtualCoralOptions = {},
): Promise<{ coral: VirtualCoral; models: Map<FixtureName, { bytes: Uint8Array; program: EmulatedModel }> }> {
  const coral = new VirtualCoral({ firmwareLoaded: true, ...options });
  const loaded = new Map<FixtureName, { bytes: Uint8Array; program: EmulatedModel }>();
  for (const name of models) {
    const entry = await fixtureProgram(name);
    const compute = name === 'testconv1-edgetpu.tflite' ? await testconv1Twin(entry.program) : undefined;
    coral.registerModel(name, entry.program, compute);
    loaded.set(name, entry);
  }
  return { coral, models: loaded };
}
