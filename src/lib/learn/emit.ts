/**
 * ModelSpec → .tflite bytes, with the flatc-generated builders of src/lib/tflite (written here
 * because learn emits whole models before the model writer's builder existed; it only uses the
 * generated code, never hand-placed offsets). Operator versions are the ones TFLite's converter
 * records for the int8/uint8 kernels used, so the Edge TPU compiler's version check passes.
 */
import * as flatbuffers from 'flatbuffers';
import {
  ActivationFunctionType,
  AddOptions,
  Buffer,
  BuiltinOperator,
  BuiltinOptions,
  ConcatenationOptions,
  Conv2DOptions,
  DepthwiseConv2DOptions,
  DequantizeOptions,
  FullyConnectedOptions,
  Model,
  Operator,
  OperatorCode,
  Padding,
  Pool2DOptions,
  QuantizationParameters,
  QuantizeOptions,
  ReducerOptions,
  ReshapeOptions,
  SoftmaxOptions,
  SubGraph,
  Tensor,
  TensorType,
} from '../tflite/generated/tflite/tflite.ts';
import type { FusedActivation, ModelSpec, SpecDType, SpecOp, SpecOpName, SpecTensor } from './model-spec.ts';

const TENSOR_TYPE: Record<SpecDType, number> = {
  float32: TensorType.FLOAT32,
  int32: TensorType.INT32,
  uint8: TensorType.UINT8,
  int8: TensorType.INT8,
};

const ACTIVATION: Record<FusedActivation, number> = {
  NONE: ActivationFunctionType.NONE,
  RELU: ActivationFunctionType.RELU,
  RELU6: ActivationFunctionType.RELU6,
};

/** Operator version for the element type its first input has. */
function opVersion(op: SpecOpName, dtype: SpecDType): number {
  const int8 = dtype === 'int8';
  switch (op) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D':
      return int8 ? 3 : 1;
    case 'FULLY_CONNECTED':
      return int8 ? 4 : 1;
    case 'QUANTIZE':
    case 'RESHAPE':
      return 1;
    default:
      return int8 ? 2 : 1;
  }
}

function writeTensor(b: flatbuffers.Builder, t: SpecTensor, buffer: number): flatbuffers.Offset {
  const name = b.createString(t.name);
  const shape = Tensor.createShapeVector(b, t.shape);
  let quant = 0;
  if (t.quant) {
    const scale = QuantizationParameters.createScaleVector(b, t.quant.scale);
    const zeroPoint = QuantizationParameters.createZeroPointVector(
      b,
      t.quant.zeroPoint.map((z) => BigInt(z)),
    );
    QuantizationParameters.startQuantizationParameters(b);
    QuantizationParameters.addScale(b, scale);
    QuantizationParameters.addZeroPoint(b, zeroPoint);
    QuantizationParameters.addQuantizedDimension(b, t.quant.quantizedDimension);
    quant = QuantizationParameters.endQuantizationParameters(b);
  }
  Tensor.startTensor(b);
  Tensor.addShape(b, shape);
  Tensor.addType(b, TENSOR_TYPE[t.dtype]);
  Tensor.addBuffer(b, buffer);
  Tensor.addName(b, name);
  if (quant) Tensor.addQuantization(b, quant);
  return Tensor.endTensor(b);
}

function writeBuffer(b: flatbuffers.Builder, data: Uint8Array | undefined): flatbuffers.Offset {
  if (!data) {
    Buffer.startBuffer(b);
    return Buffer.endBuffer(b);
  }
  // 16-byte alignment lets kernels read int32/float constants in place.
  b.startVector(1, data.length, 16);
  for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
  const vector = b.endVector();
  Buffer.startBuffer(b);
  Buffer.addData(b, vector);
  return Buffer.endBuffer(b);
}

const PADDING = { SAME: Padding.SAME, VALID: Padding.VALID } as const;

function writeOptions(b: flatbuffers.Builder, op: SpecOp): [type: number, offset: flatbuffers.Offset] {
  switch (op.op) {
    case 'CONV_2D':
      return [
        BuiltinOptions.Conv2DOptions,
        Conv2DOptions.createConv2DOptions(
          b,
          PADDING[op.padding],
          op.strideW,
          op.strideH,
          ACTIVATION[op.activation],
          op.dilationW,
          op.dilationH,
          TensorType.FLOAT32,
        ),
      ];
    case 'DEPTHWISE_CONV_2D':
      return [
        BuiltinOptions.DepthwiseConv2DOptions,
        DepthwiseConv2DOptions.createDepthwiseConv2DOptions(
          b,
          PADDING[op.padding],
          op.strideW,
          op.strideH,
          op.depthMultiplier,
          ACTIVATION[op.activation],
          op.dilationW,
          op.dilationH,
        ),
      ];
    case 'FULLY_CONNECTED':
      return [
        BuiltinOptions.FullyConnectedOptions,
        FullyConnectedOptions.createFullyConnectedOptions(
          b,
          ACTIVATION[op.activation],
          0,
          false,
          false,
          TensorType.FLOAT32,
        ),
      ];
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D':
      return [
        BuiltinOptions.Pool2DOptions,
        Pool2DOptions.createPool2DOptions(
          b,
          PADDING[op.padding],
          op.strideW,
          op.strideH,
          op.filterW,
          op.filterH,
          ActivationFunctionType.NONE,
        ),
      ];
    case 'MEAN':
      return [BuiltinOptions.ReducerOptions, ReducerOptions.createReducerOptions(b, op.keepDims)];
    case 'ADD':
      return [BuiltinOptions.AddOptions, AddOptions.createAddOptions(b, ACTIVATION[op.activation], false)];
    case 'CONCATENATION':
      return [
        BuiltinOptions.ConcatenationOptions,
        ConcatenationOptions.createConcatenationOptions(b, op.axis, ActivationFunctionType.NONE),
      ];
    case 'RESHAPE':
      return [
        BuiltinOptions.ReshapeOptions,
        ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, op.newShape)),
      ];
    case 'SOFTMAX':
      return [BuiltinOptions.SoftmaxOptions, SoftmaxOptions.createSoftmaxOptions(b, op.beta)];
    case 'QUANTIZE':
      return [BuiltinOptions.QuantizeOptions, QuantizeOptions.createQuantizeOptions(b)];
    case 'DEQUANTIZE':
      return [BuiltinOptions.DequantizeOptions, DequantizeOptions.createDequantizeOptions(b)];
    case 'RELU':
    case 'RELU6':
      return [BuiltinOptions.NONE, 0];
  }
}

/** Serialises a spec as a one-subgraph TFLite model; `appended` bytes (a labels ZIP) follow it. */
export function emitModel(spec: ModelSpec, appended?: Uint8Array): Uint8Array {
  const b = new flatbuffers.Builder(1024 + spec.tensors.reduce((n, t) => n + (t.data?.length ?? 0), 0));
  // Operator codes: one per distinct (op, version).
  const codes: { op: SpecOpName; version: number }[] = [];
  const codeIndex = spec.operators.map((op) => {
    const version = opVersion(op.op, spec.tensors[op.inputs[0]!]?.dtype ?? 'float32');
    let index = codes.findIndex((c) => c.op === op.op && c.version === version);
    if (index < 0) index = codes.push({ op: op.op, version }) - 1;
    return index;
  });
  // Buffer 0 is the empty sentinel TFLite expects; constants get their own buffers.
  const bufferData: (Uint8Array | undefined)[] = [undefined];
  const tensorBuffer = spec.tensors.map((t) => (t.data ? bufferData.push(t.data) - 1 : 0));

  const bufferOffsets = bufferData.map((d) => writeBuffer(b, d));
  const tensorOffsets = spec.tensors.map((t, i) => writeTensor(b, t, tensorBuffer[i]!));
  const operatorOffsets = spec.operators.map((op, i) => {
    const inputs = Operator.createInputsVector(b, op.inputs);
    const outputs = Operator.createOutputsVector(b, op.outputs);
    const [optionsType, options] = writeOptions(b, op);
    Operator.startOperator(b);
    Operator.addOpcodeIndex(b, codeIndex[i]!);
    Operator.addInputs(b, inputs);
    Operator.addOutputs(b, outputs);
    if (options) {
      Operator.addBuiltinOptionsType(b, optionsType);
      Operator.addBuiltinOptions(b, options);
    }
    return Operator.endOperator(b);
  });
  const subgraph = SubGraph.createSubGraph(
    b,
    SubGraph.createTensorsVector(b, tensorOffsets),
    SubGraph.createInputsVector(b, spec.inputs),
    SubGraph.createOutputsVector(b, spec.outputs),
    SubGraph.createOperatorsVector(b, operatorOffsets),
    b.createString('main'),
    0,
  );
  const codeOffsets = codes.map((c) => {
    const builtin = BuiltinOperator[c.op];
    OperatorCode.startOperatorCode(b);
    // Codes below 127 also go in the deprecated int8 field, which older readers (and the compiler) use.
    OperatorCode.addDeprecatedBuiltinCode(b, Math.min(builtin, 127));
    OperatorCode.addVersion(b, c.version);
    OperatorCode.addBuiltinCode(b, builtin);
    return OperatorCode.endOperatorCode(b);
  });
  const model = Model.createModel(
    b,
    3,
    Model.createOperatorCodesVector(b, codeOffsets),
    Model.createSubgraphsVector(b, [subgraph]),
    b.createString(spec.description),
    Model.createBuffersVector(b, bufferOffsets),
    0,
    0,
    0,
  );
  Model.finishModelBuffer(b, model);
  const bytes = b.asUint8Array();
  if (!appended?.length) return bytes.slice();
  const out = new Uint8Array(bytes.length + appended.length);
  out.set(bytes);
  out.set(appended, bytes.length);
  return out;
}
