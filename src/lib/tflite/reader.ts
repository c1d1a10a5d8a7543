import { builtinOpName, CUSTOM_OP_CODE } from './builtin-ops.ts';
import { CheckedByteBuffer } from './checked-buffer.ts';
import { guardParse, modelError } from './errors.ts';
import { Model as ModelTable } from './generated/tflite/tflite/model.ts';
import type { Operator as OperatorTable } from './generated/tflite/tflite/operator.ts';
import type { Tensor as TensorTable } from './generated/tflite/tflite/tensor.ts';
import { labelFileName, METADATA_NAME, readModelMetadata } from './metadata.ts';
import { optionsKindForType, readOptions } from './options.ts';
import {
  dtypeFromCode,
  type Buffer,
  type Model,
  type ModelMetadata,
  type Operator,
  type OperatorCode,
  type Quantization,
  type Signature,
  type Subgraph,
  type Tensor,
} from './types.ts';
import { findAppendedZip, parseLabels, unzipFiles } from './zip.ts';

export const TFLITE_IDENTIFIER = 'TFL3';
export const SUPPORTED_SCHEMA_VERSION = 3;

function text(value: string | Uint8Array | null): string {
  return typeof value === 'string' ? value : '';
}

/** Reads an int vector through a generated accessor pair, charging the walk budget. */
function ints(bb: CheckedByteBuffer, length: number, at: (index: number) => number | null): number[] {
  bb.charge(length);
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = at(i) ?? 0;
  return out;
}

/** A >2 GB model's out-of-flatbuffer bytes (Buffer.offset/size, large custom options). */
function externalBytes(bytes: Uint8Array, offset: bigint, size: bigint, what: string): Uint8Array {
  const end = offset + size;
  if (end > BigInt(bytes.length))
    throw modelError(
      'offset-out-of-range',
      `${what}: ${size} bytes at file offset ${offset} reach past the end of the ${bytes.length}-byte file`,
    );
  return bytes.subarray(Number(offset), Number(end));
}

function readQuantization(bb: CheckedByteBuffer, tensor: TensorTable): Quantization | null {
  const q = tensor.quantization();
  if (!q) return null;
  const scale: number[] = [];
  const zeroPoint: number[] = [];
  const scales = q.scaleLength();
  const zeros = q.zeroPointLength();
  bb.charge(scales + zeros);
  for (let i = 0; i < scales; i++) scale.push(q.scale(i) ?? 0);
  for (let i = 0; i < zeros; i++) zeroPoint.push(Number(q.zeroPoint(i) ?? 0n));
  const min = q.minLength() ? ints(bb, q.minLength(), (i) => q.min(i)) : null;
  const max = q.maxLength() ? ints(bb, q.maxLength(), (i) => q.max(i)) : null;
  if (scale.length === 0 && zeroPoint.length === 0 && !min && !max) return null;
  return { scale, zeroPoint, quantizedDimension: q.quantizedDimension(), min, max };
}

function readTensor(bb: CheckedByteBuffer, tensor: TensorTable): Tensor {
  return {
    name: text(tensor.name()),
    dtype: dtypeFromCode(tensor.type()),
    shape: ints(bb, tensor.shapeLength(), (i) => tensor.shape(i)),
    shapeSignature: tensor.shapeSignatureLength()
      ? ints(bb, tensor.shapeSignatureLength(), (i) => tensor.shapeSignature(i))
      : null,
    buffer: tensor.buffer(),
    quantization: readQuantization(bb, tensor),
    isVariable: tensor.isVariable(),
    hasRank: tensor.hasRank(),
    sparse: tensor.sparsity() !== null,
  };
}

function readOperator(bb: CheckedByteBuffer, bytes: Uint8Array, op: OperatorTable, where: string): Operator {
  const optionsType = op.builtinOptionsType();
  const kind = optionsType ? optionsKindForType(optionsType) : null;
  let builtinOptions = null;
  if (kind) {
    // The union value is a table offset; read it with the generic options reader.
    const field = bb.__offset(op.bb_pos, 12);
    if (field) builtinOptions = readOptions(bb, bb.__indirect(op.bb_pos + field), kind);
  }
  let customOptions: Uint8Array | null = null;
  const customField = bb.__offset(op.bb_pos, 14);
  if (customField) customOptions = bb.bytesAt(op.bb_pos + customField);
  else if (op.largeCustomOptionsSize() > 0n)
    customOptions = externalBytes(bytes, op.largeCustomOptionsOffset(), op.largeCustomOptionsSize(), where);
  const mutating = op.mutatingVariableInputsLength();
  bb.charge(mutating);
  const mutatingVariableInputs: boolean[] = [];
  for (let i = 0; i < mutating; i++) mutatingVariableInputs.push(op.mutatingVariableInputs(i) ?? false);
  return {
    opcodeIndex: op.opcodeIndex(),
    inputs: ints(bb, op.inputsLength(), (i) => op.inputs(i)),
    outputs: ints(bb, op.outputsLength(), (i) => op.outputs(i)),
    intermediates: ints(bb, op.intermediatesLength(), (i) => op.intermediates(i)),
    builtinOptions,
    unknownOptionsType: optionsType && !kind ? optionsType : null,
    customOptions,
    mutatingVariableInputs,
  };
}

function checkIndex(index: number, count: number, what: string): void {
  if (!(index >= 0 && index < count))
    throw modelError('offset-out-of-range', `${what} refers to index ${index}, but there are only ${count}`);
}

/** Cross-references must point at existing entries, or later stages index out of bounds. */
function validateReferences(model: Model): void {
  model.subgraphs.forEach((subgraph, s) => {
    const tensors = subgraph.tensors.length;
    subgraph.tensors.forEach((tensor, t) =>
      checkIndex(tensor.buffer, Math.max(model.buffers.length, 1), `subgraph ${s} tensor ${t} buffer`),
    );
    subgraph.inputs.forEach((t) => checkIndex(t, tensors, `subgraph ${s} input`));
    subgraph.outputs.forEach((t) => checkIndex(t, tensors, `subgraph ${s} output`));
    subgraph.operators.forEach((op, o) => {
      checkIndex(op.opcodeIndex, model.operatorCodes.length, `subgraph ${s} op ${o} opcode`);
      for (const t of op.inputs) if (t !== -1) checkIndex(t, tensors, `subgraph ${s} op ${o} input`);
      for (const t of op.outputs) checkIndex(t, tensors, `subgraph ${s} op ${o} output`);
      for (const t of op.intermediates) checkIndex(t, tensors, `subgraph ${s} op ${o} intermediate`);
    });
  });
  model.signatures.forEach((signature, i) => {
    checkIndex(signature.subgraphIndex, model.subgraphs.length, `signature ${i} subgraph`);
  });
  model.metadata.forEach((entry) => checkIndex(entry.buffer, model.buffers.length, `metadata ${entry.name} buffer`));
}

/**
 * Reads a TFLite model. Every offset is bounds-checked; damaged or hostile bytes raise a
 * ReefError whose `reason` says what was wrong (bad-magic, truncated, offset-out-of-range,
 * malformed, unsupported-schema-version), never an unchecked exception.
 */
export function readModel(bytes: Uint8Array): Model {
  if (bytes.length < 8)
    throw modelError('truncated', `not a TFLite model: ${bytes.length} bytes is shorter than a flatbuffer header`);
  const ident = String.fromCharCode(bytes[4] ?? 0, bytes[5] ?? 0, bytes[6] ?? 0, bytes[7] ?? 0);
  if (ident !== TFLITE_IDENTIFIER)
    throw modelError('bad-magic', `not a TFLite model: file identifier is "${ident}", expected "${TFLITE_IDENTIFIER}"`);
  const root = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24);
  if (root < 8 || root >= bytes.length)
    throw modelError('truncated', `TFLite model: root table offset ${root} is outside the ${bytes.length}-byte file`);
  return guardParse('TFLite model', () => readChecked(bytes));
}

function readChecked(bytes: Uint8Array): Model {
  const bb = new CheckedByteBuffer(bytes, 'TFLite model');
  const table = ModelTable.getRootAsModel(bb);
  const version = table.version();
  if (version !== SUPPORTED_SCHEMA_VERSION)
    throw modelError(
      'unsupported-schema-version',
      `TFLite schema version ${version} is not supported (only version ${SUPPORTED_SCHEMA_VERSION})`,
    );
  const warnings: string[] = [];

  const operatorCodes: OperatorCode[] = [];
  const codeCount = table.operatorCodesLength();
  bb.charge(codeCount);
  for (let i = 0; i < codeCount; i++) {
    const code = table.operatorCodes(i);
    if (!code) throw modelError('malformed', `operator code ${i} is missing`);
    const builtinCode = Math.max(code.deprecatedBuiltinCode(), code.builtinCode());
    const customCode = code.customCode();
    operatorCodes.push({
      builtinCode,
      builtinName: builtinOpName(builtinCode),
      customCode:
        builtinCode === CUSTOM_OP_CODE ? text(customCode) : typeof customCode === 'string' ? customCode : null,
      version: code.version(),
    });
  }

  const buffers: Buffer[] = [];
  const bufferCount = table.buffersLength();
  bb.charge(bufferCount);
  for (let i = 0; i < bufferCount; i++) {
    const buffer = table.buffers(i);
    if (!buffer) throw modelError('malformed', `buffer ${i} is missing`);
    const dataField = bb.__offset(buffer.bb_pos, 4);
    let data: Uint8Array;
    if (dataField) data = bb.bytesAt(buffer.bb_pos + dataField);
    else if (buffer.offset() > 1n) data = externalBytes(bytes, buffer.offset(), buffer.size(), `buffer ${i}`);
    else data = bytes.subarray(0, 0);
    buffers.push({ data });
  }

  const subgraphs: Subgraph[] = [];
  const subgraphCount = table.subgraphsLength();
  bb.charge(subgraphCount);
  for (let s = 0; s < subgraphCount; s++) {
    const sg = table.subgraphs(s);
    if (!sg) throw modelError('malformed', `subgraph ${s} is missing`);
    const tensors: Tensor[] = [];
    const tensorCount = sg.tensorsLength();
    bb.charge(tensorCount);
    for (let t = 0; t < tensorCount; t++) {
      const tensor = sg.tensors(t);
      if (!tensor) throw modelError('malformed', `subgraph ${s} tensor ${t} is missing`);
      tensors.push(readTensor(bb, tensor));
    }
    const operators: Operator[] = [];
    const opCount = sg.operatorsLength();
    bb.charge(opCount);
    for (let o = 0; o < opCount; o++) {
      const op = sg.operators(o);
      if (!op) throw modelError('malformed', `subgraph ${s} operator ${o} is missing`);
      operators.push(readOperator(bb, bytes, op, `subgraph ${s} operator ${o}`));
      const unknown = operators[o]?.unknownOptionsType;
      if (unknown)
        warnings.push(`op ${o}: builtin options type ${unknown} is not modelled by Reef (kept on read only)`);
    }
    subgraphs.push({
      name: text(sg.name()),
      tensors,
      inputs: ints(bb, sg.inputsLength(), (i) => sg.inputs(i)),
      outputs: ints(bb, sg.outputsLength(), (i) => sg.outputs(i)),
      operators,
    });
  }

  const metadata = [];
  const metadataCount = table.metadataLength();
  bb.charge(metadataCount);
  for (let i = 0; i < metadataCount; i++) {
    const entry = table.metadata(i);
    if (entry) metadata.push({ name: text(entry.name()), buffer: entry.buffer() });
  }

  const signatures: Signature[] = [];
  const signatureCount = table.signatureDefsLength();
  bb.charge(signatureCount);
  for (let i = 0; i < signatureCount; i++) {
    const def = table.signatureDefs(i);
    if (!def) continue;
    const maps = (count: number, at: (j: number) => { name(): string | null; tensorIndex(): number } | null) => {
      bb.charge(count);
      const out = [];
      for (let j = 0; j < count; j++) {
        const m = at(j);
        if (m) out.push({ name: m.name() ?? '', tensorIndex: m.tensorIndex() });
      }
      return out;
    };
    signatures.push({
      key: text(def.signatureKey()),
      subgraphIndex: def.subgraphIndex(),
      inputs: maps(def.inputsLength(), (j) => def.inputs(j)),
      outputs: maps(def.outputsLength(), (j) => def.outputs(j)),
    });
  }

  const model: Model = {
    version,
    description: text(table.description()),
    operatorCodes,
    subgraphs,
    buffers,
    metadata,
    signatures,
    appended: bytes.subarray(bytes.length),
    associatedFiles: {},
    modelMetadata: null,
    labels: null,
    warnings,
  };
  validateReferences(model);
  // Alignment padding after the last object read still belongs to the flatbuffer, and so does
  // data that large models keep after it (Buffer.offset, large custom options).
  let end = bb.highWater();
  const viewEnd = (view: Uint8Array | null) =>
    view && view.length ? view.byteOffset - bytes.byteOffset + view.length : 0;
  for (const buffer of buffers) end = Math.max(end, viewEnd(buffer.data));
  for (const subgraph of subgraphs) for (const op of subgraph.operators) end = Math.max(end, viewEnd(op.customOptions));
  while (end < bytes.length && end % 16 !== 0 && bytes[end] === 0) end++;
  readAppended(bytes, end, model);
  return model;
}

/** Appended bytes, their ZIP members, TFLITE_METADATA and labels: optional, so only warnings. */
function readAppended(bytes: Uint8Array, flatbufferEnd: number, model: Model): void {
  const zip = findAppendedZip(bytes, flatbufferEnd);
  const end = zip ? zip.start : flatbufferEnd;
  model.appended = bytes.subarray(Math.min(end, bytes.length));
  if (zip) {
    try {
      model.associatedFiles = unzipFiles(bytes.subarray(zip.base));
    } catch (error) {
      model.warnings.push(`appended ZIP is unreadable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let metadata: ModelMetadata | null = null;
  const entry = model.metadata.find((m) => m.name === METADATA_NAME);
  const metadataBytes = entry ? model.buffers[entry.buffer]?.data : undefined;
  if (metadataBytes && metadataBytes.length > 0) {
    try {
      metadata = readModelMetadata(metadataBytes);
    } catch (error) {
      model.warnings.push(`${METADATA_NAME} is unreadable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  model.modelMetadata = metadata;
  const labelName = metadata ? labelFileName(metadata) : null;
  const names = Object.keys(model.associatedFiles);
  const labelFile =
    (labelName !== null ? model.associatedFiles[labelName] : undefined) ??
    (names.length === 1 && names[0]?.endsWith('.txt') ? model.associatedFiles[names[0]] : undefined);
  if (labelName !== null && !model.associatedFiles[labelName])
    model.warnings.push(`metadata names label file ${labelName}, but the model has no such appended file`);
  model.labels = labelFile ? parseLabels(labelFile) : null;
}
