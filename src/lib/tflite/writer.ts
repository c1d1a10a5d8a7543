import { Builder } from 'flatbuffers';
import { zipSync } from 'fflate';
import { modelError } from './errors.ts';
import { Buffer as BufferTable } from './generated/tflite/tflite/buffer.ts';
import { Metadata as MetadataTable } from './generated/tflite/tflite/metadata.ts';
import { Model as ModelTable } from './generated/tflite/tflite/model.ts';
import { OperatorCode as OperatorCodeTable } from './generated/tflite/tflite/operator-code.ts';
import { Operator as OperatorTable } from './generated/tflite/tflite/operator.ts';
import { QuantizationParameters } from './generated/tflite/tflite/quantization-parameters.ts';
import { SignatureDef } from './generated/tflite/tflite/signature-def.ts';
import { SubGraph } from './generated/tflite/tflite/sub-graph.ts';
import { TensorMap } from './generated/tflite/tflite/tensor-map.ts';
import { Tensor as TensorTable } from './generated/tflite/tflite/tensor.ts';
import { optionsTypeForKind, writeOptions } from './options.ts';
import { SUPPORTED_SCHEMA_VERSION, TFLITE_IDENTIFIER } from './reader.ts';
import { dtypeCode, type Model, type Operator, type Quantization, type Subgraph, type Tensor } from './types.ts';
import { findAppendedZip } from './zip.ts';

/** deprecated_builtin_code is a byte: newer ops store this placeholder there. */
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;
/** A fixed timestamp keeps re-zipped label archives byte-for-byte reproducible. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

function intVector(builder: Builder, values: readonly number[]): number {
  builder.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) builder.addInt32(values[i] ?? 0);
  return builder.endVector();
}

function byteVector(builder: Builder, bytes: Uint8Array, alignment: number): number {
  // prep() pads so the data (written next, below the length prefix) starts aligned.
  builder.prep(alignment, bytes.length);
  return builder.createByteVector(bytes);
}

function writeQuantization(builder: Builder, q: Quantization): number {
  const scale = QuantizationParameters.createScaleVector(builder, q.scale);
  const zeroPoint = QuantizationParameters.createZeroPointVector(
    builder,
    q.zeroPoint.map((z) => BigInt(Math.trunc(z))),
  );
  const min = q.min ? QuantizationParameters.createMinVector(builder, q.min) : 0;
  const max = q.max ? QuantizationParameters.createMaxVector(builder, q.max) : 0;
  QuantizationParameters.startQuantizationParameters(builder);
  if (min) QuantizationParameters.addMin(builder, min);
  if (max) QuantizationParameters.addMax(builder, max);
  QuantizationParameters.addScale(builder, scale);
  QuantizationParameters.addZeroPoint(builder, zeroPoint);
  QuantizationParameters.addQuantizedDimension(builder, q.quantizedDimension);
  return QuantizationParameters.endQuantizationParameters(builder);
}

function writeTensor(builder: Builder, tensor: Tensor, where: string): number {
  if (tensor.sparse) throw modelError('invalid-edit', `${where}: sparse tensors cannot be rewritten by Reef`);
  const name = builder.createString(tensor.name);
  const shape = intVector(builder, tensor.shape);
  const signature = tensor.shapeSignature ? intVector(builder, tensor.shapeSignature) : 0;
  const quantization = tensor.quantization ? writeQuantization(builder, tensor.quantization) : 0;
  TensorTable.startTensor(builder);
  TensorTable.addShape(builder, shape);
  TensorTable.addType(builder, dtypeCode(tensor.dtype));
  TensorTable.addBuffer(builder, tensor.buffer);
  TensorTable.addName(builder, name);
  if (quantization) TensorTable.addQuantization(builder, quantization);
  if (tensor.isVariable) TensorTable.addIsVariable(builder, true);
  if (signature) TensorTable.addShapeSignature(builder, signature);
  if (tensor.hasRank) TensorTable.addHasRank(builder, true);
  return TensorTable.endTensor(builder);
}

function writeOperator(builder: Builder, op: Operator, where: string): number {
  if (op.unknownOptionsType !== null)
    throw modelError(
      'invalid-edit',
      `${where}: builtin options type ${op.unknownOptionsType} is not modelled by Reef, so the op cannot be rewritten`,
    );
  const inputs = intVector(builder, op.inputs);
  const outputs = intVector(builder, op.outputs);
  const intermediates = op.intermediates.length ? intVector(builder, op.intermediates) : 0;
  const options = op.builtinOptions ? writeOptions(builder, op.builtinOptions) : 0;
  const optionsType = op.builtinOptions ? optionsTypeForKind(op.builtinOptions.kind) : null;
  const custom = op.customOptions ? builder.createByteVector(op.customOptions) : 0;
  let mutating = 0;
  if (op.mutatingVariableInputs.length) {
    builder.startVector(1, op.mutatingVariableInputs.length, 1);
    for (let i = op.mutatingVariableInputs.length - 1; i >= 0; i--)
      builder.addInt8(op.mutatingVariableInputs[i] ? 1 : 0);
    mutating = builder.endVector();
  }
  OperatorTable.startOperator(builder);
  OperatorTable.addOpcodeIndex(builder, op.opcodeIndex);
  OperatorTable.addInputs(builder, inputs);
  OperatorTable.addOutputs(builder, outputs);
  if (options && optionsType !== null) {
    OperatorTable.addBuiltinOptionsType(builder, optionsType);
    OperatorTable.addBuiltinOptions(builder, options);
  }
  if (custom) OperatorTable.addCustomOptions(builder, custom);
  if (mutating) OperatorTable.addMutatingVariableInputs(builder, mutating);
  if (intermediates) OperatorTable.addIntermediates(builder, intermediates);
  return OperatorTable.endOperator(builder);
}

function writeSubgraph(builder: Builder, subgraph: Subgraph, index: number): number {
  const tensors = subgraph.tensors.map((t, i) => writeTensor(builder, t, `subgraph ${index} tensor ${i}`));
  const operators = subgraph.operators.map((op, i) => writeOperator(builder, op, `subgraph ${index} op ${i}`));
  const tensorsVector = SubGraph.createTensorsVector(builder, tensors);
  const operatorsVector = SubGraph.createOperatorsVector(builder, operators);
  const inputs = intVector(builder, subgraph.inputs);
  const outputs = intVector(builder, subgraph.outputs);
  const name = subgraph.name ? builder.createString(subgraph.name) : 0;
  SubGraph.startSubGraph(builder);
  SubGraph.addTensors(builder, tensorsVector);
  SubGraph.addInputs(builder, inputs);
  SubGraph.addOutputs(builder, outputs);
  SubGraph.addOperators(builder, operatorsVector);
  if (name) SubGraph.addName(builder, name);
  return SubGraph.endSubGraph(builder);
}

/** What goes after the flatbuffer: the original bytes, or a rebuilt ZIP when theirs used absolute offsets. */
function appendedBytes(model: Model): Uint8Array {
  const files = Object.keys(model.associatedFiles);
  if (files.length === 0) return model.appended;
  // A ZIP whose offsets count from its own start survives being moved; one written with
  // absolute file offsets (Python's zipfile appending to the model) must be rebuilt.
  const zip = findAppendedZip(model.appended, 0);
  if (zip && zip.base === 0 && zip.start === 0) return model.appended;
  const entries: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  for (const name of files.sort())
    entries[name] = [model.associatedFiles[name] as Uint8Array, { level: 0, mtime: ZIP_MTIME }];
  return zipSync(entries);
}

/**
 * Serializes a model: a TFL3 flatbuffer (constant buffers 16-byte aligned, as converters do),
 * followed by the model's appended bytes / associated files. Reading the result gives back an
 * equal model.
 */
export function writeModel(model: Model): Uint8Array {
  const dataBytes = model.buffers.reduce((sum, b) => sum + b.data.length + 32, 0);
  const customBytes = model.subgraphs.reduce(
    (sum, s) => sum + s.operators.reduce((n, op) => n + (op.customOptions?.length ?? 0) + 64, 0),
    0,
  );
  // Sizing the builder up front avoids repeated doubling (and copying) for multi-megabyte models.
  const builder = new Builder(Math.max(1024, dataBytes + customBytes + 4096));
  const buffers = model.buffers.map((buffer) => {
    const data = buffer.data.length ? byteVector(builder, buffer.data, 16) : 0;
    BufferTable.startBuffer(builder);
    if (data) BufferTable.addData(builder, data);
    return BufferTable.endBuffer(builder);
  });
  const subgraphs = model.subgraphs.map((s, i) => writeSubgraph(builder, s, i));
  const codes = model.operatorCodes.map((code) => {
    const custom = code.customCode !== null ? builder.createString(code.customCode) : 0;
    OperatorCodeTable.startOperatorCode(builder);
    OperatorCodeTable.addDeprecatedBuiltinCode(builder, Math.min(code.builtinCode, PLACEHOLDER_FOR_GREATER_OP_CODES));
    if (custom) OperatorCodeTable.addCustomCode(builder, custom);
    OperatorCodeTable.addVersion(builder, code.version);
    OperatorCodeTable.addBuiltinCode(builder, code.builtinCode);
    return OperatorCodeTable.endOperatorCode(builder);
  });
  const metadata = model.metadata.map((entry) => {
    const name = builder.createString(entry.name);
    MetadataTable.startMetadata(builder);
    MetadataTable.addName(builder, name);
    MetadataTable.addBuffer(builder, entry.buffer);
    return MetadataTable.endMetadata(builder);
  });
  const signatures = model.signatures.map((signature) => {
    const maps = (list: { name: string; tensorIndex: number }[]) =>
      SignatureDef.createInputsVector(
        builder,
        list.map((m) => {
          const name = builder.createString(m.name);
          TensorMap.startTensorMap(builder);
          TensorMap.addName(builder, name);
          TensorMap.addTensorIndex(builder, m.tensorIndex);
          return TensorMap.endTensorMap(builder);
        }),
      );
    const inputs = maps(signature.inputs);
    const outputs = maps(signature.outputs);
    const key = builder.createString(signature.key);
    SignatureDef.startSignatureDef(builder);
    SignatureDef.addInputs(builder, inputs);
    SignatureDef.addOutputs(builder, outputs);
    SignatureDef.addSignatureKey(builder, key);
    SignatureDef.addSubgraphIndex(builder, signature.subgraphIndex);
    return SignatureDef.endSignatureDef(builder);
  });
  const codesVector = ModelTable.createOperatorCodesVector(builder, codes);
  const subgraphsVector = ModelTable.createSubgraphsVector(builder, subgraphs);
  const buffersVector = ModelTable.createBuffersVector(builder, buffers);
  const metadataVector = metadata.length ? ModelTable.createMetadataVector(builder, metadata) : 0;
  const signaturesVector = signatures.length ? ModelTable.createSignatureDefsVector(builder, signatures) : 0;
  const description = builder.createString(model.description);
  ModelTable.startModel(builder);
  ModelTable.addVersion(builder, SUPPORTED_SCHEMA_VERSION);
  ModelTable.addOperatorCodes(builder, codesVector);
  ModelTable.addSubgraphs(builder, subgraphsVector);
  ModelTable.addDescription(builder, description);
  ModelTable.addBuffers(builder, buffersVector);
  if (metadataVector) ModelTable.addMetadata(builder, metadataVector);
  if (signaturesVector) ModelTable.addSignatureDefs(builder, signaturesVector);
  builder.finish(ModelTable.endModel(builder), TFLITE_IDENTIFIER);
  const flatbuffer = builder.asUint8Array();
  const appended = appendedBytes(model);
  if (appended.length === 0) return flatbuffer.slice();
  const out = new Uint8Array(flatbuffer.length + appended.length);
  out.set(flatbuffer, 0);
  out.set(appended, flatbuffer.length);
  return out;
}
