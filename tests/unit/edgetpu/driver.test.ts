import { describe, expect, it } from 'vitest';
import { openEdgeTpu } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { programFromModel } from '../../../src/lib/edgetpu/program/program-from-model.ts';
import { createTraceRecorder, createTraceSwitch, parseTrace } from '../../../src/lib/edgetpu/usb/trace.ts';
import { CSR } from '../../../src/lib/edgetpu/usb/registers.ts';
import type { FixtureName } from '../../support/fixtures.ts';
import { readFixture } from '../../support/fixtures.ts';
import { expectTestconv1Output } from './driver-checks.ts';
import { coralWith } from '../../emulator/node-fixtures.ts';
import { syntheticOutputs } from '../../emulator/app-function.ts';

/** Every compiled fixture with fully deterministic hints (keras LSTM: driver-lstm.test.ts). */
const COMPILED: FixtureName[] = [
  'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
  'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
  'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
  'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
  'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite',
  'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite',
  'fish_ssd_detect_edgetpu.tflite',
  'deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite',
  'movenet_single_pose_lightning_ptq_edgetpu.tflite',
  'split_concat_edgetpu.tflite',
];

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}

describe('Edge TPU driver on the virtual Coral', () => {
  it("runs testconv1 byte-exactly, sending the model's own instruction and input bytes", async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const tpu = await openEdgeTpu(coral.device!);
    const model = await tpu.load(models.get('testconv1-edgetpu.tflite')!.bytes);
    expect(model.program.main.kind).toBe('stand-alone');
    expect(model.inputs[0]!.sizeBytes).toBe(3072);
    expect(model.outputs[0]!.sizeBytes).toBe(14400);
    const input = await readFixture('testconv1-test-input.bin');
    const expected = await readFixture('testconv1-expected-output.bin');
    for (let run = 0; run < 2; run++) {
      const [out] = await model.run([input]);
      expect(Buffer.from(out!.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
    }
    // The emulator compared what arrived with the model: inputs equal the fixture, instructions
    // equal outside the relocated address fields, and the stand-alone parameters byte for byte.
    expect(Buffer.from(coral.app.lastInputs.values().next().value!).equals(Buffer.from(input))).toBe(true);
    const exe = model.program.main;
    expect(coral.app.stats.verifiedParameterBytes).toBe(2 * exe.parameters.length);
    expect(coral.app.stats.verifiedInstructionBytes).toBe(2 * exe.chunks.reduce((n, c) => n + c.bitstream.length, 0));
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('rejects a wrong input with a typed error and stays usable', async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const tpu = await openEdgeTpu(coral.device!);
    const model = await tpu.load(models.get('testconv1-edgetpu.tflite')!.bytes);
    await expect(model.run([new Uint8Array(100)])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'bad-input-size',
    });
    await expect(model.run([])).rejects.toMatchObject({ reason: 'bad-input-count' });
    const [out] = await model.run([await readFixture('testconv1-test-input.bin')]);
    expect(out!.data.length).toBe(14400);
    expect(tpu.stats.recoveries).toBe(0);
    await tpu.close();
  });

  it('performs the 52-access open sequence of the capture with the chosen clock', async () => {
    const { coral } = await coralWith([]);
    const trace = createTraceRecorder();
    const tpu = await openEdgeTpu(coral.device!, { clock: 'high', trace });
    const records = parseTrace(trace.lines.join('\n'));
    const csr = records.filter((r) => r.type === 'control');
    expect(csr).toHaveLength(52);
    const scu3Write = csr.find((r) => r.dir === 'out' && r.context === 'writeCsr32(scu_ctrl_3)');
    expect(scu3Write?.data).toBe('5c028550'); // 0x5085025C, the "High" value of the capture
    expect(coral.app.csr.clock).toBe('high');
    expect(coral.app.csr.interruptsEnabled).toBe(true);
    expect(coral.app.csr.values.get(CSR.outfeed_chunk_length)).toBe(0x80n);
    // Reads kept posted: one event, one interrupt, eight output reads.
    expect(coral.app.pendingReads).toEqual({ output: 8, event: 1, interrupt: 1 });
    await tpu.close();
    expect(coral.app.pendingReads).toEqual({ output: 0, event: 0, interrupt: 0 });
    expect(coral.app.csr.coreOutOfReset).toBe(false);
    expect(coral.violations).toEqual([]);
  });

  it('uses 256-byte output chunks on USB 2 (protocol §1.4)', async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite'], { speed: 'high' });
    const tpu = await openEdgeTpu(coral.device!, { clock: 'max' });
    expect(tpu.info?.speed).toBe('high');
    expect(coral.app.csr.values.get(CSR.outfeed_chunk_length)).toBe(0x20n);
    expect(coral.app.csr.clock).toBe('max');
    const model = await tpu.load(models.get('testconv1-edgetpu.tflite')!.bytes);
    await expectTestconv1Output(model);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it.each(COMPILED)(
    "runs %s end to end: outputs gathered back from the emulator's own tiled writes, parameters uploaded once in 10 runs",
    async (name) => {
      const { coral, models } = await coralWith([name]);
      const tpu = await openEdgeTpu(coral.device!);
      const { bytes, program } = models.get(name)!;
      const model = await tpu.load(bytes);
      for (let run = 0; run < 10; run++) {
        const inputs = model.inputs.map((spec, i) => pattern(spec.sizeBytes, run * 3 + i));
        const outputs = await model.run(inputs);
        // What the device computed (synthetic twin, in user order) must come back through the driver's
        // re-layout; the emulator scattered it into the tiles with its own code (device-layout.ts).
        const expected = syntheticOutputs(program.main, coral.app.lastInputs);
        expect(outputs).toHaveLength(program.main.outputLayers.length);
        outputs.forEach((out) => {
          const want = expected.get(out.name)!;
          const got = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
          expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        });
        for (const [i, spec] of model.inputs.entries()) {
          expect(Buffer.from(coral.app.lastInputs.get(spec.name)!).equals(Buffer.from(inputs[i]!))).toBe(true);
        }
      }
      const pc = program.parameterCaching;
      expect(coral.app.stats.parameterUploads.get(name) ?? 0).toBe(pc ? 1 : 0);
      expect(tpu.stats.parameterUploads).toBe(pc ? 1 : 0);
      if (pc)
        expect(coral.app.stats.verifiedParameterBytes).toBe(pc.parameters.length + 10 * program.main.parameters.length);
      expect(coral.app.stats.redundantParameterUploads).toBe(0);
      expect(coral.violations).toEqual([]);
      await tpu.close();
    },
  );

  it('refuses a CPU-only model with a typed error', async () => {
    const { coral } = await coralWith([]);
    const tpu = await openEdgeTpu(coral.device!);
    await expect(tpu.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'))).rejects.toMatchObject({
      reason: 'not-compiled',
    });
    await tpu.close();
  });

  it('refuses a program that needs a newer runtime, or a batched one, with typed errors', async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const tpu = await openEdgeTpu(coral.device!);
    // The driver's own decoding, edited: these are the driver's checks on what it decoded.
    const { program } = programFromModel(models.get('testconv1-edgetpu.tflite')!.bytes);
    await expect(tpu.load({ ...program, minRuntimeVersion: 15 })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'runtime-version-unsupported',
    });
    await expect(tpu.load({ ...program, main: { ...program.main, batchSize: 4 } })).rejects.toMatchObject({
      code: 'UNIMPLEMENTED',
      reason: 'batched-executable',
    });
    await tpu.close();
  });

  it('shares the parameter cache between co-compiled models and swaps otherwise (§4.8)', async () => {
    const a = 'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite';
    const b = 'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite';
    const c = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
    const { coral, models } = await coralWith([a, b, c]);
    const tpu = await openEdgeTpu(coral.device!);
    const ma = await tpu.load(models.get(a)!.bytes);
    const mb = await tpu.load(models.get(b)!.bytes);
    for (let i = 0; i < 6; i++) {
      await ma.run([pattern(ma.inputs[0]!.sizeBytes, i)]);
      await mb.run([pattern(mb.inputs[0]!.sizeBytes, i)]);
    }
    expect(tpu.stats.parameterUploads).toBe(2);
    expect(tpu.cachedToken).toBe('16340017111409818219');
    const mc = await tpu.load(models.get(c)!.bytes);
    await mc.run([pattern(mc.inputs[0]!.sizeBytes, 1)]);
    await ma.run([pattern(ma.inputs[0]!.sizeBytes, 1)]);
    expect(tpu.stats.parameterUploads).toBe(4); // c evicted the pair, a had to upload again
    expect(tpu.cachedToken).toBe('16340017111409818219');
    expect(coral.app.stats.redundantParameterUploads).toBe(0);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it.each(['split_concat_edgetpu.tflite', 'mobilenet_v1_0.25_128_quant_edgetpu.tflite'] as const)(
    'in descriptor mode (descr_ep = 0xFF) every DMA report of %s names the relocated address',
    async (name) => {
      const { coral, models } = await coralWith([name]);
      const tpu = await openEdgeTpu(coral.device!, { bulkDescriptorsFromDevice: true });
      expect(coral.app.csr.values.get(CSR.descr_ep)).toBe(0xffn);
      const model = await tpu.load(models.get(name)!.bytes);
      for (let run = 0; run < 3; run++)
        await model.run(model.inputs.map((spec, i) => pattern(spec.sizeBytes, run + i)));
      const dmaHints = (exe: { hints: readonly { kind: string }[] } | undefined) =>
        exe?.hints.filter((h) => h.kind === 'dma').length ?? 0;
      const { program } = models.get(name)!;
      expect(coral.app.stats.eventsSent).toBe(
        3 * (dmaHints(program.main) + 1) + (program.parameterCaching ? dmaHints(program.parameterCaching) + 1 : 0),
      );
      expect(coral.violations).toEqual([]);
      await tpu.close();
    },
  );

  it('the same model loaded twice shares its cached weights', async () => {
    const name = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
    const { coral, models } = await coralWith([name]);
    const tpu = await openEdgeTpu(coral.device!);
    const first = await tpu.load(models.get(name)!.bytes);
    const second = await tpu.load(models.get(name)!.bytes.slice());
    for (let i = 0; i < 3; i++) {
      await first.run([pattern(first.inputs[0]!.sizeBytes, i)]);
      await second.run([pattern(second.inputs[0]!.sizeBytes, i)]);
    }
    expect(tpu.stats.parameterUploads).toBe(1);
    expect(coral.app.stats.redundantParameterUploads).toBe(0);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });

  it('records every transfer as JSON lines', async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const lines: string[] = [];
    const trace = createTraceRecorder({ onLine: (l) => lines.push(l), dataLimitBytes: 16 });
    const tpu = await openEdgeTpu(coral.device!, { trace });
    const model = await tpu.load(models.get('testconv1-edgetpu.tflite')!.bytes);
    await model.run([await readFixture('testconv1-test-input.bin')]);
    await tpu.close();
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const bulkOut = records.filter((r) => r['type'] === 'bulk' && r['dir'] === 'out');
    expect(bulkOut.length).toBeGreaterThanOrEqual(2);
    expect(bulkOut[0]).toMatchObject({ endpoint: 1, status: 'ok', truncated: true });
    expect((bulkOut[0]!['data'] as string).length).toBe(32);
    const setup = records.find((r) => r['type'] === 'control')!['setup'];
    expect(setup).toMatchObject({ requestType: 'vendor', recipient: 'device', request: 1, value: 0xa30c, index: 1 });
    expect(records.some((r) => r['dir'] === 'in' && r['endpoint'] === 2 && r['status'] === 'ok')).toBe(true);
  });

  it('a trace switch records only while enabled and hands the lines over once', async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const trace = createTraceSwitch({ dataLimitBytes: 8 });
    const tpu = await openEdgeTpu(coral.device!, { trace: trace.recorder });
    expect(trace.take()).toBe(''); // off during the open
    const model = await tpu.load(models.get('testconv1-edgetpu.tflite')!.bytes);
    trace.enable();
    await model.run([await readFixture('testconv1-test-input.bin')]);
    trace.disable();
    await model.run([await readFixture('testconv1-test-input.bin')]);
    const records = parseTrace(trace.take());
    expect(records.filter((r) => r.type === 'bulk' && r.dir === 'out')).toHaveLength(3); // instr, input, params
    expect(records.some((r) => r.endpoint === 1 && r.dir === 'in' && r.length === 1024)).toBe(true);
    expect(trace.take()).toBe('');
    await tpu.close();
  });
});
