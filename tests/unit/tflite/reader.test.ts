import { describe, expect, it } from 'vitest';
import { isModelError, readModel, readModelMetadata, type Model, type Tensor } from '../../../src/lib/tflite/index.ts';
import { readFixture, readFixtureText, type FixtureName } from '../../support/fixtures.ts';
import { MODEL_FACTS, type IoFact } from './model-facts.ts';

function opNames(model: Model): string[] {
  return (model.subgraphs[0]?.operators ?? []).map((op) => {
    const code = model.operatorCodes[op.opcodeIndex];
    return code?.customCode ?? code?.builtinName ?? '?';
  });
}

function expectIo(tensor: Tensor | undefined, fact: IoFact): void {
  expect(tensor).toBeDefined();
  const t = tensor as Tensor;
  // MODELS.md truncates names at 80 characters.
  expect(t.name.slice(0, 80)).toBe(fact.name);
  expect(t.dtype).toBe(fact.dtype);
  expect(t.shape).toEqual(fact.shape);
  if (fact.quant === null) expect(t.quantization?.scale.length ?? 0).toBe(0);
  else {
    expect(t.quantization?.scale[0]).toBeCloseTo(fact.quant[0], 8);
    expect(t.quantization?.zeroPoint[0]).toBe(fact.quant[1]);
  }
}

describe('readModel on every fixture model (facts from MODELS.md)', () => {
  for (const [name, fact] of Object.entries(MODEL_FACTS)) {
    it(name, async () => {
      const model = readModel(await readFixture(name as FixtureName));
      expect(model.version).toBe(3);
      expect(model.description).toBe(fact.description);
      expect(model.subgraphs).toHaveLength(1);
      const graph = model.subgraphs[0]!;
      expect(graph.tensors).toHaveLength(fact.tensors);
      expect(graph.operators).toHaveLength(fact.ops);
      expect(model.metadata.map((m) => m.name)).toEqual(fact.metadata);
      expect(graph.inputs).toHaveLength(fact.inputs.length);
      expect(graph.outputs).toHaveLength(fact.outputs.length);
      fact.inputs.forEach((io, i) => expectIo(graph.tensors[graph.inputs[i]!], io));
      fact.outputs.forEach((io, i) => expectIo(graph.tensors[graph.outputs[i]!], io));
      const names = opNames(model);
      if (fact.sequence) expect(names).toEqual(fact.sequence);
      if (fact.counts) {
        const counts: Record<string, number> = {};
        for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
        expect(counts).toEqual(fact.counts);
      }
      if (fact.edgetpu) {
        const op = graph.operators[names.indexOf('edgetpu-custom-op')]!;
        expect(op.customOptions?.length).toBe(fact.edgetpu.optionsBytes);
      }
      if (fact.cpuCustom) {
        const op = graph.operators[names.indexOf(fact.cpuCustom[0])]!;
        expect(op.customOptions?.length).toBe(fact.cpuCustom[1]);
      }
      if (fact.zip) {
        expect(model.appended.byteOffset).toBe(fact.zip.start);
        expect(Object.keys(model.associatedFiles)).toEqual([fact.zip.file]);
        expect(model.labels).toHaveLength(fact.zip.labels);
      }
      expect(model.warnings).toEqual([]);
    });
  }
});

describe('readModel details', () => {
  it('reads the label ZIP appended to a classifier and matches imagenet_labels.txt', async () => {
    const model = readModel(await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'));
    const expected = (await readFixtureText('imagenet_labels.txt')).split('\n').filter((l) => l !== '');
    expect(model.labels).toEqual(expected);
    expect(model.labels?.[0]).toBe('background');
    expect(new TextDecoder().decode(model.associatedFiles['imagenet_labels.txt']).split('\n')[1]).toBe(expected[1]);
  });

  it('decodes TFLITE_METADATA: name, normalization, label file', async () => {
    const model = readModel(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    const meta = model.modelMetadata!;
    expect(meta.name).toBe('ImageClassifier');
    expect(meta.inputs[0]?.normalization).toEqual({ mean: [127.5], std: [127.5] });
    expect(meta.outputs[0]?.associatedFiles.map((f) => [f.name, f.type])).toEqual([
      ['imagenet_labels.txt', 'TENSOR_AXIS_LABELS'],
    ]);
    const entry = model.metadata.find((m) => m.name === 'TFLITE_METADATA')!;
    expect(readModelMetadata(model.buffers[entry.buffer]!.data).name).toBe('ImageClassifier');
  });

  it('gives buffers as views into the file bytes, and per-channel quantization of weights', async () => {
    const bytes = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
    const model = readModel(bytes);
    const graph = model.subgraphs[0]!;
    const conv = graph.operators[0]!;
    const weights = graph.tensors[conv.inputs[1]!]!;
    expect(weights.dtype).toBe('uint8');
    expect(weights.shape).toEqual([8, 3, 3, 3]);
    const data = model.buffers[weights.buffer]!.data;
    expect(data.length).toBe(8 * 3 * 3 * 3);
    expect(data.buffer).toBe(bytes.buffer);
    // Changing the file changes the view: no copy was made.
    const before = data[0]!;
    bytes[data.byteOffset] = (before + 1) & 0xff;
    expect(data[0]).toBe((before + 1) & 0xff);
    const bias = graph.tensors[conv.inputs[2]!]!;
    expect(bias.dtype).toBe('int32');
    expect(conv.builtinOptions).toMatchObject({
      kind: 'Conv2DOptions',
      padding: 'SAME',
      strideW: 2,
      strideH: 2,
      fusedActivationFunction: 'RELU6',
    });
  });

  it('reads per-channel int8 quantization (movenet PTQ)', async () => {
    const model = readModel(await readFixture('movenet_single_pose_lightning_ptq.tflite'));
    const perChannel = model.subgraphs[0]!.tensors.filter((t) => (t.quantization?.scale.length ?? 0) > 1);
    expect(perChannel.length).toBeGreaterThan(10);
    const t = perChannel[0]!;
    expect(t.dtype).toBe('int8');
    expect(t.quantization!.zeroPoint).toHaveLength(t.quantization!.scale.length);
    expect(t.quantization!.scale.length).toBe(t.shape[t.quantization!.quantizedDimension]);
  });

  it('rejects a file that is not TFLite with bad-magic, and a short one with truncated', async () => {
    const bytes = await readFixture('cat.bmp');
    expect(() => readModel(bytes)).toThrowError(
      expect.objectContaining({ reason: 'bad-magic', code: 'INVALID_ARGUMENT' }),
    );
    expect(() => readModel(new Uint8Array(5))).toThrowError(expect.objectContaining({ reason: 'truncated' }));
  });

  it('rejects an unsupported schema version', async () => {
    const bytes = await readFixture('split_concat.tflite');
    const model = readModel(bytes);
    expect(model.version).toBe(3);
    // Model.version is the first field: find the root table's vtable entry and patch the value.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const root = view.getUint32(0, true);
    const vtable = root - view.getInt32(root, true);
    const field = view.getUint16(vtable + 4, true);
    view.setUint32(root + field, 2, true);
    try {
      readModel(bytes);
      expect.unreachable();
    } catch (error) {
      expect(isModelError(error, 'unsupported-schema-version')).toBe(true);
    }
  });

  it('reads deprecated_builtin_code as the op when builtin_code is unset (old converters)', async () => {
    // fish_ssd_detect.tflite is TOCO-converted: only deprecated_builtin_code is set.
    const model = readModel(await readFixture('fish_ssd_detect.tflite'));
    expect(model.operatorCodes.map((c) => c.builtinName)).toContain('DEPTHWISE_CONV_2D');
    expect(model.operatorCodes.find((c) => c.customCode === 'TFLite_Detection_PostProcess')?.builtinCode).toBe(32);
  });
});

describe('readModel input forms', () => {
  it('reads a model that sits at an odd offset inside a larger buffer', async () => {
    const file = await readFixture('keras_lstm_mnist_ptq_edgetpu.tflite');
    const big = new Uint8Array(file.length + 7);
    big.set(file, 3);
    const inner = big.subarray(3, 3 + file.length);
    const a = readModel(file);
    const b = readModel(inner);
    expect(b.subgraphs[0]!.tensors).toEqual(a.subgraphs[0]!.tensors);
    const custom = b.subgraphs[0]!.operators[0]!.customOptions!;
    expect(custom.buffer).toBe(big.buffer);
    expect(Buffer.compare(custom, a.subgraphs[0]!.operators[0]!.customOptions!)).toBe(0);
  });
});

describe('signatures', () => {
  it('reads the serving_default signature of a Keras model', async () => {
    const model = readModel(await readFixture('keras_lstm_mnist_ptq.tflite'));
    expect(model.signatures).toEqual([
      {
        key: 'serving_default',
        subgraphIndex: 0,
        inputs: [{ name: 'x', tensorIndex: 0 }],
        outputs: [{ name: 'output_0', tensorIndex: 28 }],
      },
    ]);
    const graph = model.subgraphs[0]!;
    expect(graph.inputs).toEqual([0]);
    expect(graph.outputs).toEqual([28]);
  });
});
