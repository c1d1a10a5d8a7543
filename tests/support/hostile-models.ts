/**
 * Generators of hostile models: flatbuffers whose offsets alias one string or table thousands of
 * times, shapes and sizes that lie, graphs LiteRT refuses, and Edge TPU executables with absurd
 * sizes patched into a real compiled model. Each is kilobytes; what it claims is gigabytes.
 */
import { Builder, ByteBuffer } from 'flatbuffers';
import { findEdgeTpuOps } from '../../src/lib/edgetpu/executable/index.ts';
import { AnyHint } from '../../src/lib/edgetpu/executable/generated/darwinn/any-hint.ts';
import { DmaDescriptorHint } from '../../src/lib/edgetpu/executable/generated/darwinn/dma-descriptor-hint.ts';
import { Executable } from '../../src/lib/edgetpu/executable/generated/darwinn/executable.ts';
import { MultiExecutable } from '../../src/lib/edgetpu/executable/generated/darwinn/multi-executable.ts';
import { Package } from '../../src/lib/edgetpu/executable/generated/darwinn/package.ts';
import { ModelBuilder, readModel, writeModel } from '../../src/lib/tflite/index.ts';
import { Buffer as BufferTable } from '../../src/lib/tflite/generated/tflite/tflite/buffer.ts';
import { Model } from '../../src/lib/tflite/generated/tflite/tflite/model.ts';
import { OperatorCode } from '../../src/lib/tflite/generated/tflite/tflite/operator-code.ts';
import { SubGraph } from '../../src/lib/tflite/generated/tflite/tflite/sub-graph.ts';
import { Tensor } from '../../src/lib/tflite/generated/tflite/tflite/tensor.ts';

export interface AliasOptions {
  /** How many tensors (or opcodes) reference the one shared table. */
  copies?: number;
  /** Bytes of the shared name / custom code. */
  nameBytes?: number;
  /** Entries of subgraph 0's input list, all tensor 0. */
  inputs?: number;
  /** Alias opcodes (one 64 KiB custom code) instead of tensors. */
  via?: 'tensors' | 'opcodes';
}

/**
 * One tensor table (or opcode table) with a long name, listed `copies` times: the file holds the
 * name once, a reader that decodes each entry holds it `copies` times.
 */
export function aliasedModel(options: AliasOptions = {}): Uint8Array {
  const { copies = 30_000, nameBytes = 65_536, inputs = 1, via = 'tensors' } = options;
  const b = new Builder(nameBytes + copies * 8 + inputs * 4 + 1024);
  const name = b.createString('n'.repeat(nameBytes));
  const empty = (BufferTable.startBuffer(b), BufferTable.endBuffer(b));
  const buffers = Model.createBuffersVector(b, [empty]);
  const shape = Tensor.createShapeVector(b, [1, 4]);
  const tensorName = via === 'tensors' ? name : b.createString('t');
  Tensor.startTensor(b);
  Tensor.addShape(b, shape);
  Tensor.addType(b, 0);
  Tensor.addBuffer(b, 0);
  Tensor.addName(b, tensorName);
  const tensor = Tensor.endTensor(b);
  const tensorCount = via === 'tensors' ? copies : 1;
  const tensors = SubGraph.createTensorsVector(b, new Array<number>(tensorCount).fill(tensor));
  const codeName = via === 'opcodes' ? name : 0;
  OperatorCode.startOperatorCode(b);
  OperatorCode.addDeprecatedBuiltinCode(b, 32);
  OperatorCode.addBuiltinCode(b, 32);
  if (codeName) OperatorCode.addCustomCode(b, codeName);
  OperatorCode.addVersion(b, 1);
  const code = OperatorCode.endOperatorCode(b);
  const codes = Model.createOperatorCodesVector(b, new Array<number>(via === 'opcodes' ? copies : 1).fill(code));
  const inputList = SubGraph.createInputsVector(b, new Array<number>(inputs).fill(0));
  const outputList = SubGraph.createOutputsVector(b, [0]);
  const operators = SubGraph.createOperatorsVector(b, []);
  SubGraph.startSubGraph(b);
  SubGraph.addTensors(b, tensors);
  SubGraph.addInputs(b, inputList);
  SubGraph.addOutputs(b, outputList);
  SubGraph.addOperators(b, operators);
  const subgraph = SubGraph.endSubGraph(b);
  const subgraphs = Model.createSubgraphsVector(b, [subgraph]);
  Model.startModel(b);
  Model.addVersion(b, 3);
  Model.addOperatorCodes(b, codes);
  Model.addSubgraphs(b, subgraphs);
  Model.addBuffers(b, buffers);
  b.finish(Model.endModel(b), 'TFL3');
  return b.asUint8Array().slice();
}

function quant(scale: number, zeroPoint: number) {
  return { scale: [scale], zeroPoint: [zeroPoint] };
}

/**
 * An int8 image classifier LiteRT refuses to prepare: SOFTMAX's int8 output must have zero point
 * −128 (scale 1/256), this one has `outputZeroPoint`.
 */
export function badSoftmaxModel(outputZeroPoint = 0): Uint8Array {
  const b = new ModelBuilder({ description: 'int8 softmax with a wrong output zero point' });
  const x = b.addTensor({ name: 'image', dtype: 'int8', shape: [1, 4, 4, 3], quantization: quant(1 / 128, 0) });
  const newShape = b.addTensor({ name: 'shape', dtype: 'int32', shape: [2], data: new Int32Array([1, 48]) });
  const flat = b.addTensor({ name: 'flat', dtype: 'int8', shape: [1, 48], quantization: quant(1 / 128, 0) });
  const y = b.addTensor({
    name: 'probabilities',
    dtype: 'int8',
    shape: [1, 48],
    quantization: quant(1 / 256, outputZeroPoint),
  });
  b.addOp({ op: 'RESHAPE', inputs: [x, newShape], outputs: [flat], options: { newShape: [1, 48] } });
  b.addOp({ op: 'SOFTMAX', inputs: [flat], outputs: [y] });
  b.setInputs([x]);
  b.setOutputs([y]);
  return b.toBytes();
}

/** A float model whose input claims `shape` (1×20000×20000×3 = 4.8 GB of float32 by default). */
export function hugeInputModel(shape = [1, 20_000, 20_000, 3]): Uint8Array {
  const b = new ModelBuilder({ description: 'input shape that lies' });
  const x = b.addTensor({ name: 'image', dtype: 'float32', shape });
  const y = b.addTensor({ name: 'out', dtype: 'float32', shape });
  b.addOp({ op: 'RELU', inputs: [x], outputs: [y] });
  b.setInputs([x]);
  b.setOutputs([y]);
  return b.toBytes();
}

/**
 * A uint8 classifier (image 1×4×6×3 → FULLY_CONNECTED 10) whose weight tensor's shape is then
 * changed to `lie` while its buffer keeps the 720 bytes of 10×72.
 */
export function constantShapeLieModel(lie = [10_000, 72]): Uint8Array {
  const b = new ModelBuilder({ description: 'constant whose shape lies about its buffer' });
  const x = b.addTensor({ name: 'image', dtype: 'uint8', shape: [1, 4, 6, 3], quantization: quant(1 / 255, 0) });
  const weights = new Uint8Array(720).map((_, i) => (i * 7) % 256);
  const w = b.addTensor({
    name: 'weights',
    dtype: 'uint8',
    shape: [10, 72],
    quantization: quant(0.01, 128),
    data: weights,
  });
  const bias = b.addTensor({
    name: 'bias',
    dtype: 'int32',
    shape: [10],
    quantization: quant(0.01 / 255, 0),
    data: new Int32Array(10),
  });
  const y = b.addTensor({ name: 'logits', dtype: 'uint8', shape: [1, 10], quantization: quant(0.1, 128) });
  b.addOp({ op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [y] });
  b.setInputs([x]);
  b.setOutputs([y]);
  const model = b.build();
  model.subgraphs[0]!.tensors[w]!.shape = lie;
  return writeModel(model);
}

/** A model with no inputs: a constant through RESHAPE to the output. */
export function noInputsModel(): Uint8Array {
  const b = new ModelBuilder({ description: 'no inputs' });
  const c = b.addTensor({ name: 'const', dtype: 'float32', shape: [1, 10], data: new Float32Array(10).fill(0.5) });
  const newShape = b.addTensor({ name: 'shape', dtype: 'int32', shape: [2], data: new Int32Array([1, 10]) });
  const y = b.addTensor({ name: 'scores', dtype: 'float32', shape: [1, 10] });
  b.addOp({ op: 'RESHAPE', inputs: [c, newShape], outputs: [y], options: { newShape: [1, 10] } });
  b.setInputs([]);
  b.setOutputs([y]);
  return b.toBytes();
}

/** Where a field of a flatbuffer table lives in `file`, given the table's buffer view and position. */
function fieldAt(file: Uint8Array, view: Uint8Array, bb: ByteBuffer, tablePos: number, vtableOffset: number): number {
  const field = bb.__offset(tablePos, vtableOffset);
  if (!field) throw new Error(`generator: field ${vtableOffset} is absent`);
  return view.byteOffset - file.byteOffset + tablePos + field;
}

export type ExecutableLie = 'hint-size' | 'layer-size' | 'x-dim';

/**
 * A compiled Edge TPU model (e.g. the testconv1 fixture) with one size in its first executable
 * replaced by `value` (−262,144 gave `Invalid typed array length: -262136` in the driver).
 */
export function patchExecutable(model: Uint8Array, lie: ExecutableLie, value = -262_144): Uint8Array {
  const file = model.slice();
  const op = findEdgeTpuOps(readModel(file))[0];
  if (!op) throw new Error('generator: the model has no Edge TPU op');
  const pkgView = op.options.packageBytes;
  const pkgBb = new ByteBuffer(pkgView);
  const pkg = Package.getRootAsPackage(pkgBb);
  const multiView = pkg.serializedMultiExecutableArray()!;
  const multiBb = new ByteBuffer(multiView);
  const multi = MultiExecutable.getRootAsMultiExecutable(multiBb);
  const listField = multiBb.__offset(multi.bb_pos, 4);
  const listAt = multiBb.__vector(multi.bb_pos + listField);
  const first = listAt;
  const exeStart = first + multiBb.readInt32(first);
  const exeView = multiView.subarray(exeStart + 4, exeStart + 4 + multiBb.readInt32(exeStart));
  const bb = new ByteBuffer(exeView);
  const exe = Executable.getRootAsExecutable(bb);
  let at: number;
  switch (lie) {
    case 'layer-size':
    case 'x-dim': {
      const layer = exe.outputLayers(0)!;
      at = fieldAt(file, exeView, bb, layer.bb_pos, lie === 'layer-size' ? 6 : 10);
      break;
    }
    default: {
      const hints = exe.dmaHints()!;
      let found = -1;
      for (let i = 0; i < hints.hintsLength() && found < 0; i++) {
        const hint = hints.hints(i)!;
        if (hint.anyHintType() !== AnyHint.DmaDescriptorHint) continue;
        const dma = hint.anyHint(new DmaDescriptorHint()) as DmaDescriptorHint | null;
        if (dma && dma.sizeInBytes() > 0) found = fieldAt(file, exeView, bb, dma.bb_pos, 8);
      }
      if (found < 0) throw new Error('generator: no DMA hint to patch');
      at = found;
    }
  }
  new DataView(file.buffer, file.byteOffset).setInt32(at, value, true);
  return file;
}
