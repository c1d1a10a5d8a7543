/**
 * The keras LSTM: an execution-only executable whose hints stop after its inputs
 * (`fully_deterministic = false`, protocol §4.10) and whose LSTM state comes back as
 * `_variable_output` layers (§4.9). The driver follows the hints, then serves the device's own DMA
 * requests from 0x82 events; the virtual Coral drives that phase and refuses anything unasked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { DevicePool, createEdgeTpuOpRunner } from '../../../src/lib/edgetpu/index.ts';
import { openEdgeTpu } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { findEdgeTpuOps } from '../../../src/lib/edgetpu/executable/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { writeCsr64 } from '../../../src/lib/edgetpu/usb/csr.ts';
import { HEADER_BYTES, TAG, encodeHeader } from '../../../src/lib/edgetpu/usb/framing.ts';
import { CSR } from '../../../src/lib/edgetpu/usb/registers.ts';
import { WasmEngine } from '../../../src/lib/runtime/index.ts';
import { decodeBmp } from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { fixtureProgram } from '../../emulator/node-fixtures.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';

const COMPILED = 'keras_lstm_mnist_ptq_edgetpu.tflite';
const TWIN = 'keras_lstm_mnist_ptq.tflite';
const cpu = new WasmEngine(nodeLiteRtLoader);
afterAll(() => cpu.dispose());

/** mnist_nine.bmp as the model's 1x28x28 uint8 input (8-bit grey palette: any channel). */
async function nine(): Promise<Uint8Array> {
  const image = decodeBmp(await readFixture('mnist_nine.bmp'));
  expect([image.width, image.height]).toEqual([28, 28]);
  const pixels = new Uint8Array(28 * 28);
  for (let i = 0; i < pixels.length; i++) pixels[i] = image.data[i * 4]!;
  return pixels;
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

describe('non-deterministic hints (keras LSTM) on the virtual Coral', () => {
  it('classifies mnist_nine.bmp as 9, equal to the CPU path, parameters sent once over 10 runs', async () => {
    const { bytes, program } = await fixtureProgram(COMPILED);
    expect(program.main.fullyDeterministic).toBe(false);
    expect(program.main.scratchSizeBytes).toBe(672);
    const twin = await readFixture(TWIN);
    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(COMPILED, program, await twinCompute(bytes, twin));
    const tpu = await openEdgeTpu(coral.device!, { label: 'usb:0' });
    expect(tpu.bulkDescriptorsFromDevice).toBe(false);
    const model = await tpu.load(bytes);
    // §4.10: loading it switched the device to reporting every DMA (descr_ep = 0xFF).
    expect(tpu.bulkDescriptorsFromDevice).toBe(true);
    expect(model.userInputs.map((i) => i.name)).toEqual(['serving_default_x:0']);
    expect(model.userOutputs.map((o) => o.name)).toEqual(['StatefulPartitionedCall:0']);

    const input = await nine();
    const onCpu = await cpu.load(twin);
    const want = [...(await onCpu.run([input])).outputs[0]!.data].map(Number);
    expect(argMax(want)).toBe(9);
    for (let run = 0; run < 10; run++) {
      model.resetState();
      const outputs = await model.run([input]);
      expect(outputs).toHaveLength(3);
      expect([...outputs[0]!.data]).toEqual(want);
      // §4.9: the state outputs were written back into the inputs of the same base name.
      expect([...model.state.get(1)!]).toEqual([...coral.app.lastOutputs.get('tfl.pseudo_qconst_variable_output')!]);
      expect(new Uint8Array(model.state.get(2)!.buffer)).toEqual(
        coral.app.lastOutputs.get('tfl.pseudo_qconst1_variable_output'),
      );
    }
    expect(tpu.stats.parameterUploads).toBe(1);
    expect(coral.app.stats.parameterUploads.get(COMPILED)).toBe(1);
    expect(coral.app.stats.redundantParameterUploads).toBe(0);
    // Scratch out + back, a parameter slice, the image again, three outputs: 7 device requests a run.
    expect(coral.app.stats.deviceRequests).toBe(70);
    // Hinted 576 parameter bytes + the device's 320-byte parameter request, every run, all checked.
    expect(coral.app.stats.verifiedParameterBytes).toBe(43968 + 10 * (576 + 320));
    expect([...coral.app.lastInputs.get('serving_default_x:0')!]).toEqual([...input]);
    expect(coral.violations).toEqual([]);
    onCpu.dispose();
    await tpu.close();
  });

  it("the TFLite op's view (3 inputs incl. 2 state tensors, 1 output) through both op runners equals the CPU path", async () => {
    const { bytes, program } = await fixtureProgram(COMPILED);
    const twin = await readFixture(TWIN);
    const compiled = readModel(bytes);
    const found = findEdgeTpuOps(compiled)[0]!;
    const tensors = compiled.subgraphs[0]!.tensors;
    const op = compiled.subgraphs[0]!.operators[found.opIndex]!;
    const spec = {
      customOptions: op.customOptions!,
      inputs: op.inputs.map((t) => ({ name: tensors[t]!.name, dtype: tensors[t]!.dtype, shape: tensors[t]!.shape })),
      outputs: op.outputs.map((t) => ({ name: tensors[t]!.name, dtype: tensors[t]!.dtype, shape: tensors[t]!.shape })),
    };
    expect(spec.inputs.map((i) => i.name)).toEqual(['serving_default_x:0', 'tfl.pseudo_qconst', 'tfl.pseudo_qconst1']);
    expect(spec.outputs).toHaveLength(1);
    const input = await nine();
    const onCpu = await cpu.load(twin);
    const want = [...(await onCpu.run([input])).outputs[0]!.data].map(Number);
    // The graph hands the state tensors in as well; the runners take the state from the driver model.
    const opInputs = [{ data: input }, { data: new Int8Array(20).fill(5) }, { data: new Int16Array(20).fill(9) }];

    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(COMPILED, program, await twinCompute(bytes, twin));
    const tpu = await openEdgeTpu(coral.device!, { label: 'usb:0' });
    const direct = await createEdgeTpuOpRunner(tpu).prepare(spec);
    const pool = new DevicePool(coral.usb);
    for (let run = 0; run < 3; run++) {
      const [out] = await direct.run(opInputs);
      expect([...out!].map(Number)).toEqual(want);
    }
    direct.dispose();
    await tpu.close();
    await pool.refresh();
    const pooled = await pool.opRunner({ device: 'usb:0' }).prepare(spec);
    for (let run = 0; run < 3; run++) {
      const [out] = await pooled.run(opInputs);
      expect([...out!].map(Number)).toEqual(want);
    }
    pooled.dispose();
    await pool.close();
    onCpu.dispose();
    expect(coral.violations).toEqual([]);
  });

  it('carries the LSTM state from one run into the next (write-back, §4.9)', async () => {
    const { bytes, program } = await fixtureProgram(COMPILED);
    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(COMPILED, program); // synthetic outputs mixed from every input, state included
    const tpu = await openEdgeTpu(coral.device!);
    const model = await tpu.load(bytes);
    const input = await nine();
    const first = await model.run([input]);
    // Starts from TFLite's reset state: the int8 zero point (-1) is a real 0; on the bus the driver's
    // signed transform (x ^ 0x80) makes it 0x7f.
    expect([...coral.app.lastInputs.get('tfl.pseudo_qconst')!]).toEqual(new Array(20).fill(0x7f));
    expect([...coral.app.lastInputs.get('tfl.pseudo_qconst1')!]).toEqual(new Array(40).fill(0));
    const second = await model.run([input]);
    // The device got back exactly the state it wrote, so the next run's outputs differ.
    expect([...coral.app.lastInputs.get('tfl.pseudo_qconst')!]).toEqual([
      ...new Uint8Array(first[1]!.data.buffer, first[1]!.data.byteOffset, 20),
    ]);
    expect([...coral.app.lastInputs.get('tfl.pseudo_qconst1')!]).toEqual([
      ...new Uint8Array(first[2]!.data.buffer, first[2]!.data.byteOffset, 40),
    ]);
    expect([...second[0]!.data]).not.toEqual([...first[0]!.data]);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('shares a TPU with a deterministic model (every DMA then reported and checked) and recovers from a lost event', async () => {
    const lstm = await fixtureProgram(COMPILED);
    const other = await fixtureProgram('split_concat_edgetpu.tflite');
    const twin = await readFixture(TWIN);
    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(COMPILED, lstm.program, await twinCompute(lstm.bytes, twin));
    coral.registerModel('split_concat', other.program);
    const tpu = await openEdgeTpu(coral.device!, { requestTimeoutMs: 300 });
    const a = await tpu.load(lstm.bytes);
    const b = await tpu.load(other.bytes);
    const input = await nine();
    const onCpu = await cpu.load(twin);
    const want = [...(await onCpu.run([input])).outputs[0]!.data].map(Number);
    onCpu.dispose();
    const splitInputs = b.inputs.map((spec, k) => new Uint8Array(spec.sizeBytes).fill(k + 1));
    for (let round = 0; round < 3; round++) {
      a.resetState();
      expect([...(await a.run([input]))[0]!.data]).toEqual(want);
      const outs = await b.run(splitInputs);
      // split_concat has no twin: the driver must return exactly what the device wrote (re-layout included).
      b.outputs.forEach((spec, k) => expect([...outs[k]!.data]).toEqual([...coral.app.lastOutputs.get(spec.name)!]));
    }
    // Different tokens: every switch re-uploads the other model's parameters (§4.8).
    expect(tpu.stats.parameterUploads).toBe(6);

    // The completion event of the device-driven phase goes missing: typed timeout, reset, reopen
    // (still in descriptor mode), and the next inference is right.
    coral.dropNextEvents(1);
    a.resetState();
    await expect(a.run([input])).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(tpu.stats.recoveries).toBe(1);
    expect(tpu.bulkDescriptorsFromDevice).toBe(true);
    a.resetState();
    expect([...(await a.run([input]))[0]!.data]).toEqual(want);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('the emulator refuses data the device did not ask for in the device-driven phase', async () => {
    const { bytes, program } = await fixtureProgram(COMPILED);
    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(COMPILED, program);
    const tpu = await openEdgeTpu(coral.device!, { recover: false });
    const model = await tpu.load(bytes);
    await model.run([await nine()]); // parameters cached; inputs staged in the prepared steps
    // Replay the hints by hand, then push scratch before the device asked for anything.
    for (const step of model.main.steps) {
      if (step.kind === 'framed') await tpu.usb.transferOut(1, step.bytes, { context: 'replay' });
      else if (step.kind === 'input') await tpu.usb.transferOut(1, step.staging, { context: 'replay' });
    }
    const unasked = new Uint8Array(HEADER_BYTES + 672);
    encodeHeader(672, TAG.inputActivations, unasked);
    // On a loaded machine the device may already have asked for this slice by the time the bytes
    // land; then the zeros differ from what it asked for. Either way the unasked bytes are refused.
    const refused = /did not ask for|differ from the addressed slice/;
    await expect(tpu.usb.transferOut(1, unasked, { context: 'unasked scratch' })).rejects.toThrow(refused);
    expect(coral.violations.join('\n')).toMatch(refused);
  });

  it('the emulator wedges a non-deterministic executable when descr_ep does not report DMAs (§4.10)', async () => {
    const { bytes, program } = await fixtureProgram(COMPILED);
    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel(COMPILED, program);
    const tpu = await openEdgeTpu(coral.device!, { recover: false });
    const model = await tpu.load(bytes);
    await model.run([await nine()]); // parameters cached; inputs staged
    await writeCsr64(tpu.usb, CSR.descr_ep, 0xf0); // behind the driver's back: completion events only
    for (const step of model.main.steps) {
      if (step.kind === 'framed') await tpu.usb.transferOut(1, step.bytes, { context: 'replay' });
      else if (step.kind === 'input') await tpu.usb.transferOut(1, step.staging, { context: 'replay' });
    }
    expect(coral.wedged).toMatch(/not fully deterministic but descr_ep = 0xf0/);
  });
});
