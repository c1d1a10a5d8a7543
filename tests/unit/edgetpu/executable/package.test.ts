import { toReference } from 'flatbuffers/mjs/flexbuffers.js';
import type { Reference } from 'flatbuffers/mjs/flexbuffers/reference.js';
import { describe, expect, it } from 'vitest';
import {
  findEdgeTpuOps,
  readEdgeTpuCustomOptions,
  readEdgeTpuPackage,
  selectExecutables,
  assertSupportedCustomOps,
  MAX_RUNTIME_VERSION,
  type EdgeTpuPackage,
} from '../../../../src/lib/edgetpu/executable/index.ts';
import { isModelError, readModel } from '../../../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../../../support/fixtures.ts';
import { MODEL_FACTS } from '../../tflite/model-facts.ts';

async function edgeTpuOp(name: FixtureName) {
  const model = readModel(await readFixture(name));
  const ops = findEdgeTpuOps(model);
  expect(ops).toHaveLength(1);
  return { model, op: ops[0]! };
}

describe('Edge TPU package of every compiled fixture (facts from MODELS.md)', () => {
  for (const [name, fact] of Object.entries(MODEL_FACTS)) {
    if (!fact.edgetpu) continue;
    const e = fact.edgetpu;
    it(name, async () => {
      const { model, op } = await edgeTpuOp(name as FixtureName);
      expect(op.options.keys.sort()).toEqual(e.keys);
      expect(op.options.packageBytes.length).toBe(e.packageBytes);
      expect(String.fromCharCode(...op.options.packageBytes.subarray(4, 8))).toBe('DWN1');
      expect(op.options.version).toBe(0);
      const pkg = op.package;
      expect(pkg.minRuntimeVersion).toBe(e.minRuntimeVersion);
      expect(pkg.compilerVersion).toBe(e.compilerVersion);
      expect(pkg.chip).toBe('beagle');
      expect(pkg.warnings).toEqual([]);
      expect(
        pkg.executables.map((x) => ({
          type: x.type,
          name: x.name,
          params: x.parameters.length,
          token: x.cachingToken,
        })),
      ).toEqual(e.executables);
      for (const exe of pkg.executables) {
        expect(exe.batchSize).toBeGreaterThanOrEqual(1);
        expect(exe.instructionChunks.length).toBeGreaterThanOrEqual(1);
        for (const chunk of exe.instructionChunks) expect(chunk.bitstream.length).toBeGreaterThan(0);
      }
      // Every tensor of the op has a layer of the same name in the inference executable (the LSTM
      // model has extra state layers; split_concat orders its outputs differently).
      const { main } = selectExecutables(pkg);
      const graph = model.subgraphs[0]!;
      const layerNames = (layers: { name: string }[]) => new Set(layers.map((l) => l.name));
      for (const t of op.inputs) expect(layerNames(main.inputLayers)).toContain(graph.tensors[t]!.name);
      for (const t of op.outputs) expect(layerNames(main.outputLayers)).toContain(graph.tensors[t]!.name);
    });
  }
});

/** flexbuffers looks map keys up by string at run time; its typings only admit numbers. */
function key(ref: Reference, name: string): Reference {
  return (ref.get as unknown as (this: Reference, k: string) => Reference).call(ref, name);
}

describe('edgetpu-custom-op options', () => {
  it('agree with flatbuffers’ own flexbuffers reader on every compiled fixture', async () => {
    for (const [name, fact] of Object.entries(MODEL_FACTS)) {
      if (!fact.edgetpu) continue;
      const model = readModel(await readFixture(name as FixtureName));
      const raw = model.subgraphs[0]!.operators.find(
        (o) => model.operatorCodes[o.opcodeIndex]!.customCode === 'edgetpu-custom-op',
      )!.customOptions!;
      const mine = readEdgeTpuCustomOptions(raw);
      const ref = toReference(raw.slice().buffer);
      expect(mine.version).toBe(Number(key(ref, '1').numericValue()));
      expect(mine.executionPreference).toBe(Number(key(ref, '5').numericValue()));
      expect(mine.packageBytes.length).toBe(key(ref, '4').length());
      if (mine.keys.includes('6')) expect(mine.chipCodes).toEqual([Number(key(ref, '6').get(0).numericValue())]);
      // The package is a view into the model bytes, not a copy.
      expect(mine.packageBytes.buffer).toBe(raw.buffer);
    }
  });
});

describe('executable contents the driver needs (protocol §5.5–5.8)', () => {
  it('mobilenet 0.25: layers, hints and relocations', async () => {
    const { op } = await edgeTpuOp('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const { main, parameterCaching } = selectExecutables(op.package);
    expect(main.type).toBe('EXECUTION_ONLY');
    expect(parameterCaching?.type).toBe('PARAMETER_CACHING');
    const input = main.inputLayers[0]!;
    expect(input).toMatchObject({ name: 'input', sizeBytes: 49152, yDim: 128, xDim: 128, zDim: 3, dataType: 'uint8' });
    expect(input.zeroPoint).toBe(128);
    expect(input.dequantizationFactor).toBeCloseTo(0.0078125, 8);
    const output = main.outputLayers[0]!;
    expect(output).toMatchObject({ name: 'MobilenetV1/Predictions/Reshape_1', sizeBytes: 1008, zDim: 1001 });
    expect(output.layout).not.toBeNull();
    // §5.7 observed shapes: PC = instr 0, params 566 912, interrupt; EO = instr 0, input 49 152, output 1008, interrupt.
    expect(parameterCaching!.hints).toEqual([
      { kind: 'instruction', direction: 'infeed', chunk: 0 },
      {
        kind: 'dma',
        direction: 'infeed',
        buffer: 'parameter',
        name: '',
        batch: 0,
        position: 0,
        offset: 0,
        size: 566912,
      },
      { kind: 'interrupt', direction: 'outfeed', type: 0 },
    ]);
    expect(main.hints.map((h) => (h.kind === 'dma' ? `${h.buffer}:${h.size}` : h.kind))).toEqual([
      'instruction',
      'input:49152',
      'output:1008',
      'interrupt',
    ]);
    expect(main.fullyDeterministic).toBe(true);
    // §5.6: an EO chunk has 8 relocations (param, scratch, input, output × lo/hi); a PC chunk 2.
    const eo = main.instructionChunks[0]!.fieldOffsets;
    expect(eo).toHaveLength(8);
    expect(new Set(eo.map((f) => f.buffer))).toEqual(new Set(['parameter', 'scratch', 'input', 'output']));
    expect(eo.filter((f) => f.position === 1)).toHaveLength(4);
    expect(eo.find((f) => f.buffer === 'input')?.name).toBe('input');
    for (const f of eo) expect(f.offsetBit % 128).toBe(70);
    expect(parameterCaching!.instructionChunks[0]!.fieldOffsets.map((f) => f.buffer)).toEqual([
      'parameter',
      'parameter',
    ]);
  });

  it('keras LSTM: non-deterministic hints, int8/int16 layers', async () => {
    const { op } = await edgeTpuOp('keras_lstm_mnist_ptq_edgetpu.tflite');
    const { main } = selectExecutables(op.package);
    expect(main.fullyDeterministic).toBe(false);
    expect(main.inputLayers.map((l) => [l.name, l.dataType, l.sizeBytes])).toEqual([
      ['serving_default_x:0', 'uint8', 784],
      ['tfl.pseudo_qconst', 'int8', 24],
      ['tfl.pseudo_qconst1', 'int16', 40],
    ]);
    expect(main.inputLayers[2]!.elementBytes).toBe(2);
    expect(main.inputLayers[2]!.bits).toBe(16);
  });

  it('deeplab: padded input size and two outputs (§5.5 example)', async () => {
    const { op } = await edgeTpuOp('deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite');
    const { main } = selectExecutables(op.package);
    expect(main.inputLayers[0]!.sizeBytes).toBe(789512);
    expect(main.outputLayers.map((l) => l.sizeBytes)).toEqual([278784, 256]);
  });

  it('testconv1: one stand-alone executable, selected alone', async () => {
    const { op } = await edgeTpuOp('testconv1-edgetpu.tflite');
    const selection = selectExecutables(op.package);
    expect(selection.main.type).toBe('STAND_ALONE');
    expect(selection.parameterCaching).toBeNull();
    expect(selection.main.parameters.length).toBe(640);
    expect(selection.main.outputLayers[0]).toMatchObject({ yDim: 30, xDim: 30, zDim: 16, zeroPoint: 113 });
  });

  it('co-compiled pair shares one caching token; the stand-alone compile has another', async () => {
    const a = await edgeTpuOp('mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite');
    const b = await edgeTpuOp('mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const c = await edgeTpuOp('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const token = (pkg: EdgeTpuPackage) => selectExecutables(pkg).parameterCaching!.cachingToken;
    expect(token(a.op.package)).toBe(token(b.op.package));
    expect(token(a.op.package)).not.toBe(token(c.op.package));
  });
});

describe('package checks (protocol §5.3)', () => {
  function patchRuntimeVersion(pkg: Uint8Array, version: number): void {
    const view = new DataView(pkg.buffer, pkg.byteOffset, pkg.byteLength);
    const root = view.getUint32(0, true);
    const vtable = root - view.getInt32(root, true);
    const field = view.getUint16(vtable + 4, true);
    view.setInt32(root + field, version, true);
  }

  it(`refuses a package needing runtime > ${MAX_RUNTIME_VERSION} with runtime-version-unsupported`, async () => {
    const { op } = await edgeTpuOp('testconv1-edgetpu.tflite');
    const pkg = op.options.packageBytes.slice();
    patchRuntimeVersion(pkg, MAX_RUNTIME_VERSION + 1);
    try {
      readEdgeTpuPackage(pkg);
      expect.unreachable();
    } catch (error) {
      expect(isModelError(error, 'runtime-version-unsupported')).toBe(true);
      expect((error as Error).message).toContain(String(MAX_RUNTIME_VERSION + 1));
    }
    patchRuntimeVersion(pkg, MAX_RUNTIME_VERSION);
    expect(readEdgeTpuPackage(pkg).minRuntimeVersion).toBe(MAX_RUNTIME_VERSION);
    expect(() => readEdgeTpuPackage(op.options.packageBytes, { maxRuntimeVersion: 12 })).toThrowError(
      expect.objectContaining({ reason: 'runtime-version-unsupported' }),
    );
  });

  it('warns about very old runtime versions', async () => {
    const { op } = await edgeTpuOp('testconv1-edgetpu.tflite');
    const pkg = op.options.packageBytes.slice();
    patchRuntimeVersion(pkg, 9);
    expect(readEdgeTpuPackage(pkg).warnings.join()).toContain('very old');
  });

  it('assertSupportedCustomOps names an unknown custom op', async () => {
    const model = readModel(await readFixture('model_invoking_error.tflite'));
    expect(() => assertSupportedCustomOps(model, ['TFLite_Detection_PostProcess'])).toThrowError(
      expect.objectContaining({ reason: 'unknown-custom-op', code: 'UNIMPLEMENTED' }),
    );
    const ssd = readModel(await readFixture('fish_ssd_detect_edgetpu.tflite'));
    expect(() => assertSupportedCustomOps(ssd, ['TFLite_Detection_PostProcess'])).not.toThrow();
  });
});

describe('damaged edgetpu-custom-op options', () => {
  it('every truncation of the options (and of the package) is a typed error, never a crash', async () => {
    const { op, model } = await edgeTpuOp('split_concat_edgetpu.tflite');
    const raw = model.subgraphs[0]!.operators[op.opIndex]!.customOptions!;
    const reasons = new Set<string>();
    for (let cut = 0; cut < raw.length; cut += 97) {
      try {
        readEdgeTpuPackage(readEdgeTpuCustomOptions(raw.subarray(0, cut)).packageBytes);
        expect.unreachable(`a ${cut}-byte prefix parsed`);
      } catch (error) {
        expect(isModelError(error)).toBe(true);
        reasons.add((error as { reason: string }).reason);
      }
    }
    expect(reasons.size).toBeGreaterThan(0);
    const pkg = op.options.packageBytes;
    for (let cut = 0; cut < pkg.length; cut += 61) {
      try {
        readEdgeTpuPackage(pkg.subarray(0, cut));
      } catch (error) {
        expect(isModelError(error)).toBe(true);
      }
    }
  });
});
