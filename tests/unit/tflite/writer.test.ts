import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { findEdgeTpuOps } from '../../../src/lib/edgetpu/executable/index.ts';
import { ByteBuffer } from 'flatbuffers';
import { Conv2DOptions } from '../../../src/lib/tflite/generated/tflite/tflite/conv2-doptions.ts';
import { FullyConnectedOptions } from '../../../src/lib/tflite/generated/tflite/tflite/fully-connected-options.ts';
import { Pool2DOptions } from '../../../src/lib/tflite/generated/tflite/tflite/pool2-doptions.ts';
import { ReshapeOptions } from '../../../src/lib/tflite/generated/tflite/tflite/reshape-options.ts';
import { SoftmaxOptions } from '../../../src/lib/tflite/generated/tflite/tflite/softmax-options.ts';
import { Padding } from '../../../src/lib/tflite/generated/tflite/tflite/padding.ts';
import { ActivationFunctionType } from '../../../src/lib/tflite/generated/tflite/tflite/activation-function-type.ts';
import {
  appendOps,
  completeOptions,
  extractSubgraph,
  ModelBuilder,
  OPTIONS_KIND_BY_OP,
  readModel,
  writeModel,
  type Model,
} from '../../../src/lib/tflite/index.ts';
import { writeOptions } from '../../../src/lib/tflite/options.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';
import { MODEL_FACTS } from './model-facts.ts';

/** Byte equality without vitest's element-by-element deep equal (minutes on multi-MB arrays). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Structural form of a model: everything, with byte arrays replaced by length + checksum. */
function structure(model: Model): unknown {
  const digest = (bytes: Uint8Array | null) =>
    bytes === null ? null : [bytes.length, bytes.reduce((h, b) => (Math.imul(h, 31) + b) >>> 0, 7)];
  return {
    ...model,
    appended: null,
    warnings: null,
    buffers: model.buffers.map((b) => digest(b.data)),
    associatedFiles: Object.fromEntries(Object.entries(model.associatedFiles).map(([k, v]) => [k, digest(v)])),
    subgraphs: model.subgraphs.map((s) => ({
      ...s,
      operators: s.operators.map((o) => ({ ...o, customOptions: digest(o.customOptions) })),
    })),
  };
}

describe('read → write → read keeps every fixture model', () => {
  for (const name of Object.keys(MODEL_FACTS)) {
    it(name, async () => {
      const original = readModel(await readFixture(name as FixtureName));
      const written = writeModel(original);
      const again = readModel(written);
      expect(structure(again)).toEqual(structure(original));
      // Constant buffers are 16-byte aligned, as converters write them.
      for (const b of again.buffers) if (b.data.length) expect(b.data.byteOffset % 16).toBe(0);
      // Writing is deterministic and a second round trip is byte-identical.
      expect(sameBytes(writeModel(again), written)).toBe(true);
    });
  }

  it('keeps non-ZIP appended bytes verbatim', async () => {
    const model = readModel(await readFixture('split_concat.tflite'));
    model.appended = new Uint8Array([1, 2, 3, 4, 5]);
    const again = readModel(writeModel(model));
    expect([...again.appended]).toEqual([1, 2, 3, 4, 5]);
  });

  it('rebuilds an absolute-offset label ZIP so labels survive the move', async () => {
    const model = readModel(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    model.description = 'a longer description that moves the appended archive';
    const again = readModel(writeModel(model));
    expect(again.labels).toEqual(model.labels);
    expect(again.modelMetadata?.name).toBe('ImageClassifier');
  });
});

describe('builtin options descriptors match the generated accessors', () => {
  function roundTrip<T>(options: Parameters<typeof writeOptions>[1], read: (bb: ByteBuffer, pos: number) => T): T {
    const builder = new Builder(64);
    const table = writeOptions(builder, options);
    builder.finish(table);
    const bb = new ByteBuffer(builder.asUint8Array());
    return read(bb, bb.readInt32(bb.position()) + bb.position());
  }

  it('Conv2DOptions', () => {
    const o = roundTrip(
      completeOptions('CONV_2D', {
        padding: 'SAME',
        strideW: 2,
        strideH: 3,
        fusedActivationFunction: 'RELU6',
        dilationHFactor: 2,
      })!,
      (bb, pos) => new Conv2DOptions().__init(pos, bb),
    );
    expect([
      o.padding(),
      o.strideW(),
      o.strideH(),
      o.fusedActivationFunction(),
      o.dilationWFactor(),
      o.dilationHFactor(),
    ]).toEqual([Padding.SAME, 2, 3, ActivationFunctionType.RELU6, 1, 2]);
  });

  it('Pool2DOptions, FullyConnectedOptions, SoftmaxOptions, ReshapeOptions', () => {
    const pool = roundTrip(
      completeOptions('AVERAGE_POOL_2D', { filterWidth: 7, filterHeight: 5, strideW: 2 })!,
      (bb, pos) => new Pool2DOptions().__init(pos, bb),
    );
    expect([pool.padding(), pool.strideW(), pool.strideH(), pool.filterWidth(), pool.filterHeight()]).toEqual([
      Padding.VALID,
      2,
      1,
      7,
      5,
    ]);
    const fc = roundTrip(
      completeOptions('FULLY_CONNECTED', { keepNumDims: true, fusedActivationFunction: 'RELU' })!,
      (bb, pos) => new FullyConnectedOptions().__init(pos, bb),
    );
    expect([fc.fusedActivationFunction(), fc.keepNumDims(), fc.weightsFormat()]).toEqual([
      ActivationFunctionType.RELU,
      true,
      0,
    ]);
    const softmax = roundTrip(completeOptions('SOFTMAX')!, (bb, pos) => new SoftmaxOptions().__init(pos, bb));
    expect(softmax.beta()).toBe(1);
    const reshape = roundTrip(completeOptions('RESHAPE', { newShape: [1, -1] })!, (bb, pos) =>
      new ReshapeOptions().__init(pos, bb),
    );
    expect([reshape.newShapeLength(), reshape.newShape(0), reshape.newShape(1)]).toEqual([2, 1, -1]);
  });

  it('knows an options table for every op the quantization helper emits', () => {
    for (const op of [
      'CONV_2D',
      'DEPTHWISE_CONV_2D',
      'FULLY_CONNECTED',
      'SOFTMAX',
      'RESHAPE',
      'ADD',
      'CONCATENATION',
      'MAX_POOL_2D',
      'AVERAGE_POOL_2D',
      'MEAN',
      'QUANTIZE',
      'DEQUANTIZE',
    ])
      expect(OPTIONS_KIND_BY_OP[op], op).toBeDefined();
  });
});

describe('extractSubgraph', () => {
  it('cuts the CPU tail of deeplab into a standalone model with renumbered tensors, buffers and opcodes', async () => {
    const model = readModel(await readFixture('deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite'));
    const tail = extractSubgraph(model, { fromOp: 1, toOp: 8 });
    const again = readModel(writeModel(tail));
    const graph = again.subgraphs[0]!;
    expect(graph.operators).toHaveLength(8);
    expect(graph.operators.map((o) => again.operatorCodes[o.opcodeIndex]!.builtinName)).toEqual([
      'RESIZE_BILINEAR',
      'QUANTIZE',
      'CONCATENATION',
      'CONV_2D',
      'CONV_2D',
      'RESIZE_BILINEAR',
      'RESIZE_BILINEAR',
      'ARG_MAX',
    ]);
    expect(again.operatorCodes.some((c) => c.customCode === 'edgetpu-custom-op')).toBe(false);
    // Inputs: the Edge TPU op's outputs that the tail reads; output: ArgMax.
    const source = model.subgraphs[0]!;
    const tpuOutputs = source.operators[0]!.outputs.map((t) => source.tensors[t]!.name);
    expect(graph.inputs.map((t) => graph.tensors[t]!.name).sort()).toEqual(tpuOutputs.sort());
    expect(graph.outputs.map((t) => graph.tensors[t]!.name)).toEqual(['ArgMax']);
    expect(graph.tensors.length).toBeLessThan(source.tensors.length);
    expect(again.buffers[0]!.data.length).toBe(0);
    // Constant weights moved with their tensors, byte for byte.
    const conv = graph.operators[3]!;
    const oldConv = source.operators[4]!;
    expect(again.buffers[graph.tensors[conv.inputs[1]!]!.buffer]!.data).toEqual(
      model.buffers[source.tensors[oldConv.inputs[1]!]!.buffer]!.data,
    );
    for (const op of graph.operators)
      for (const t of [...op.inputs, ...op.outputs]) expect(t).toBeLessThan(graph.tensors.length);
  });

  it('cuts the Edge TPU op out of the SSD segment into a model that still decodes', async () => {
    const model = readModel(await readFixture('ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite'));
    const head = extractSubgraph(model, { fromOp: 0, toOp: 0 });
    const again = readModel(writeModel(head));
    expect(again.subgraphs[0]!.inputs).toHaveLength(3);
    expect(again.subgraphs[0]!.outputs).toHaveLength(2);
    expect(findEdgeTpuOps(again)[0]!.package.executables).toHaveLength(2);
  });

  it('cuts the middle of a CPU model: boundary tensors become I/O', async () => {
    const model = readModel(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    const middle = extractSubgraph(model, { fromOp: 2, toOp: 5 });
    const graph = readModel(writeModel(middle)).subgraphs[0]!;
    const source = model.subgraphs[0]!;
    expect(graph.inputs.map((t) => graph.tensors[t]!.name)).toEqual([
      source.tensors[source.operators[2]!.inputs[0]!]!.name,
    ]);
    expect(graph.outputs.map((t) => graph.tensors[t]!.name)).toEqual([
      source.tensors[source.operators[5]!.outputs[0]!]!.name,
    ]);
  });

  it('rejects an op range outside the graph', async () => {
    const model = readModel(await readFixture('split_concat.tflite'));
    expect(() => extractSubgraph(model, { fromOp: 2, toOp: 3 })).toThrowError(
      expect.objectContaining({ reason: 'invalid-edit' }),
    );
  });
});

describe('appendOps and ModelBuilder', () => {
  it('attaches a FULLY_CONNECTED + SOFTMAX head to the embedding extractor', async () => {
    const model = readModel(await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite'));
    const graph = model.subgraphs[0]!;
    const embedding = graph.outputs[0]!;
    const weights = new Uint8Array(3 * 1024).map((_, i) => (i * 7) & 0xff);
    const bias = new Int32Array([10, -20, 30]);
    const result = appendOps(model, {
      tensors: [
        { name: 'flat', dtype: 'uint8', shape: [1, 1024], quantization: { scale: [0.023528477], zeroPoint: [0] } },
        {
          name: 'head/weights',
          dtype: 'uint8',
          shape: [3, 1024],
          quantization: { scale: [0.01], zeroPoint: [128] },
          data: weights,
        },
        {
          name: 'head/bias',
          dtype: 'int32',
          shape: [3],
          quantization: { scale: [0.023528477 * 0.01], zeroPoint: [0] },
          data: bias,
        },
        { name: 'logits', dtype: 'uint8', shape: [1, 3], quantization: { scale: [0.1], zeroPoint: [128] } },
        { name: 'probabilities', dtype: 'uint8', shape: [1, 3], quantization: { scale: [1 / 256], zeroPoint: [0] } },
      ],
      ops: [
        { op: 'RESHAPE', inputs: [embedding], outputs: ['flat'], options: { newShape: [1, 1024] } },
        { op: 'FULLY_CONNECTED', inputs: ['flat', 'head/weights', 'head/bias'], outputs: ['logits'] },
        { op: 'SOFTMAX', inputs: ['logits'], outputs: ['probabilities'] },
      ],
      outputs: ['probabilities'],
    });
    const again = readModel(writeModel(result));
    const g = again.subgraphs[0]!;
    expect(
      g.operators.map(
        (o) => again.operatorCodes[o.opcodeIndex]!.customCode ?? again.operatorCodes[o.opcodeIndex]!.builtinName,
      ),
    ).toEqual(['edgetpu-custom-op', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX']);
    expect(g.outputs.map((t) => g.tensors[t]!.name)).toEqual(['probabilities']);
    expect(g.inputs).toEqual(graph.inputs);
    const fc = g.operators[2]!;
    expect(again.buffers[g.tensors[fc.inputs[1]!]!.buffer]!.data).toEqual(weights);
    expect(new Int32Array(again.buffers[g.tensors[fc.inputs[2]!]!.buffer]!.data.slice().buffer)).toEqual(bias);
    expect(g.operators[3]!.builtinOptions).toEqual({ kind: 'SoftmaxOptions', beta: 1 });
    // The Edge TPU op is untouched.
    expect(findEdgeTpuOps(again)[0]!.package.executables.map((e) => e.cachingToken)).toEqual([
      '8305766144342453066',
      '8305766144342453066',
    ]);
  });

  it('builds a model from scratch with the ops the quantization helper needs', () => {
    const b = new ModelBuilder({ description: 'tiny int8 net' });
    const q = (scale: number, zeroPoint = 0) => ({ scale: [scale], zeroPoint: [zeroPoint] });
    const input = b.addTensor({ name: 'input', dtype: 'float32', shape: [1, 8, 8, 3] });
    const x = b.addTensor({ name: 'x', dtype: 'int8', shape: [1, 8, 8, 3], quantization: q(0.02, -1) });
    const w = b.addTensor({
      name: 'w',
      dtype: 'int8',
      shape: [4, 3, 3, 3],
      quantization: { scale: [0.1, 0.2, 0.3, 0.4], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 },
      data: new Int8Array(4 * 27).fill(3),
    });
    const bias = b.addTensor({ name: 'b', dtype: 'int32', shape: [4], data: new Int32Array(4) });
    const conv = b.addTensor({ name: 'conv', dtype: 'int8', shape: [1, 8, 8, 4], quantization: q(0.05) });
    const pool = b.addTensor({ name: 'pool', dtype: 'int8', shape: [1, 4, 4, 4], quantization: q(0.05) });
    const axes = b.addTensor({ name: 'axes', dtype: 'int32', shape: [2], data: new Int32Array([1, 2]) });
    const mean = b.addTensor({ name: 'mean', dtype: 'int8', shape: [1, 4], quantization: q(0.05) });
    const out = b.addTensor({ name: 'out', dtype: 'float32', shape: [1, 4] });
    b.addOp({ op: 'QUANTIZE', inputs: [input], outputs: [x] });
    b.addOp({
      op: 'CONV_2D',
      inputs: [x, w, bias],
      outputs: [conv],
      options: { padding: 'SAME', fusedActivationFunction: 'RELU6' },
    });
    b.addOp({
      op: 'MAX_POOL_2D',
      inputs: [conv],
      outputs: [pool],
      options: { filterWidth: 2, filterHeight: 2, strideW: 2, strideH: 2 },
    });
    b.addOp({ op: 'MEAN', inputs: [pool, axes], outputs: [mean] });
    b.addOp({ op: 'DEQUANTIZE', inputs: [mean], outputs: [out] });
    b.setInputs([input]);
    b.setOutputs([out]);
    const model = readModel(b.toBytes());
    const g = model.subgraphs[0]!;
    expect(model.description).toBe('tiny int8 net');
    expect(g.operators.map((o) => model.operatorCodes[o.opcodeIndex]!.builtinName)).toEqual([
      'QUANTIZE',
      'CONV_2D',
      'MAX_POOL_2D',
      'MEAN',
      'DEQUANTIZE',
    ]);
    expect(g.operators[1]!.builtinOptions).toMatchObject({
      padding: 'SAME',
      strideW: 1,
      strideH: 1,
      fusedActivationFunction: 'RELU6',
    });
    expect(g.operators[2]!.builtinOptions).toMatchObject({ kind: 'Pool2DOptions', filterWidth: 2, strideW: 2 });
    expect(g.operators[3]!.builtinOptions).toEqual({ kind: 'ReducerOptions', keepDims: false });
    expect(g.tensors[w]!.quantization).toMatchObject({ quantizedDimension: 0, zeroPoint: [0, 0, 0, 0] });
    expect(g.tensors[w]!.quantization!.scale.map((s) => Math.round(s * 10) / 10)).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect([...new Int8Array(model.buffers[g.tensors[w]!.buffer]!.data.slice().buffer)].every((v) => v === 3)).toBe(
      true,
    );
    expect(model.buffers[0]!.data.length).toBe(0);
  });

  it('rejects references to tensors that do not exist', () => {
    const b = new ModelBuilder();
    const x = b.addTensor({ name: 'x', dtype: 'int8', shape: [1] });
    expect(() => b.addOp({ op: 'RELU', inputs: [x], outputs: [5] })).toThrowError(
      expect.objectContaining({ reason: 'invalid-edit' }),
    );
    expect(() => b.addOp({ op: 'NOT_AN_OP', inputs: [x], outputs: [x] })).toThrowError(
      expect.objectContaining({ reason: 'invalid-edit' }),
    );
  });
});
