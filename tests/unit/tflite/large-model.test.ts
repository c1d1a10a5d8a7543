/**
 * Models over 2 GB keep constant data and custom options outside the flatbuffer (Buffer.offset /
 * size, Operator.large_custom_options_offset / size). No such fixture exists, so a small model is
 * laid out the same way with the generated builders.
 */
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Buffer as BufferTable } from '../../../src/lib/tflite/generated/tflite/tflite/buffer.ts';
import { Model } from '../../../src/lib/tflite/generated/tflite/tflite/model.ts';
import { OperatorCode } from '../../../src/lib/tflite/generated/tflite/tflite/operator-code.ts';
import { Operator } from '../../../src/lib/tflite/generated/tflite/tflite/operator.ts';
import { SubGraph } from '../../../src/lib/tflite/generated/tflite/tflite/sub-graph.ts';
import { Tensor } from '../../../src/lib/tflite/generated/tflite/tflite/tensor.ts';
import { readModel, writeModel } from '../../../src/lib/tflite/index.ts';

const WEIGHTS = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const OPTIONS = new Uint8Array([9, 8, 7]);

/** A one-op model whose weights and custom options sit after the flatbuffer, at `tail`. */
function externalModel(tail: number, optionsAt: number): Uint8Array {
  const b = new Builder(256);
  const empty = (BufferTable.startBuffer(b), BufferTable.endBuffer(b));
  BufferTable.startBuffer(b);
  BufferTable.addOffset(b, BigInt(tail));
  BufferTable.addSize(b, BigInt(WEIGHTS.length));
  const external = BufferTable.endBuffer(b);
  const name = b.createString('w');
  const shape = Tensor.createShapeVector(b, [8]);
  Tensor.startTensor(b);
  Tensor.addShape(b, shape);
  Tensor.addType(b, 3);
  Tensor.addBuffer(b, 1);
  Tensor.addName(b, name);
  const tensor = Tensor.endTensor(b);
  const inputs = Operator.createInputsVector(b, [0]);
  const outputs = Operator.createOutputsVector(b, [0]);
  Operator.startOperator(b);
  Operator.addOpcodeIndex(b, 0);
  Operator.addInputs(b, inputs);
  Operator.addOutputs(b, outputs);
  Operator.addLargeCustomOptionsOffset(b, BigInt(optionsAt));
  Operator.addLargeCustomOptionsSize(b, BigInt(OPTIONS.length));
  const op = Operator.endOperator(b);
  const tensors = SubGraph.createTensorsVector(b, [tensor]);
  const ops = SubGraph.createOperatorsVector(b, [op]);
  const io = SubGraph.createInputsVector(b, [0]);
  SubGraph.startSubGraph(b);
  SubGraph.addTensors(b, tensors);
  SubGraph.addOperators(b, ops);
  SubGraph.addInputs(b, io);
  SubGraph.addOutputs(b, io);
  const graph = SubGraph.endSubGraph(b);
  const custom = b.createString('big-op');
  OperatorCode.startOperatorCode(b);
  OperatorCode.addDeprecatedBuiltinCode(b, 32);
  OperatorCode.addCustomCode(b, custom);
  OperatorCode.addBuiltinCode(b, 32);
  const code = OperatorCode.endOperatorCode(b);
  const codes = Model.createOperatorCodesVector(b, [code]);
  const graphs = Model.createSubgraphsVector(b, [graph]);
  const buffers = Model.createBuffersVector(b, [empty, external]);
  Model.startModel(b);
  Model.addVersion(b, 3);
  Model.addOperatorCodes(b, codes);
  Model.addSubgraphs(b, graphs);
  Model.addBuffers(b, buffers);
  b.finish(Model.endModel(b), 'TFL3');
  return b.asUint8Array().slice();
}

describe('offset-based buffers and custom options (>2 GB layout)', () => {
  it('reads data stored after the flatbuffer and writes it back inline', () => {
    // Any non-zero offsets give the same layout (zero would be left out as the default).
    const size = externalModel(1 << 20, 1 << 20).length;
    const tail = Math.ceil(size / 16) * 16;
    const flat = externalModel(tail, tail + 16);
    const file = new Uint8Array(tail + 32);
    file.set(flat);
    file.set(WEIGHTS, tail);
    file.set(OPTIONS, tail + 16);
    const model = readModel(file);
    expect([...model.buffers[1]!.data]).toEqual([...WEIGHTS]);
    expect(model.buffers[1]!.data.byteOffset).toBe(tail);
    expect([...model.subgraphs[0]!.operators[0]!.customOptions!]).toEqual([...OPTIONS]);
    // The external data is part of the model, not appended bytes.
    expect(model.appended.length).toBe(0);
    const again = readModel(writeModel(model));
    expect([...again.buffers[1]!.data]).toEqual([...WEIGHTS]);
    expect([...again.subgraphs[0]!.operators[0]!.customOptions!]).toEqual([...OPTIONS]);
  });

  it('rejects an offset past the end of the file with offset-out-of-range', () => {
    const flat = externalModel(1 << 30, 0);
    expect(() => readModel(flat)).toThrowError(
      expect.objectContaining({ reason: 'offset-out-of-range', code: 'DATA_LOSS' }),
    );
  });
});
