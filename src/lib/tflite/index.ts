/**
 * Model I/O: read, inspect, edit and write TFLite models.
 *
 * Reading
 * - `readModel(bytes): Model` — plain typed model (tensors, buffers as views, opcodes, operators,
 *   subgraphs, signatures, metadata, appended bytes / ZIP files, TFLite metadata, labels).
 *   Throws ReefError with `reason` in ModelErrorReason on bad input.
 * - `readModelMetadata(bytes)` — a TFLITE_METADATA buffer on its own.
 *
 * Edge TPU compatibility
 * - `checkEdgeTpuCompatibility(model): {compatible, unsupported: [{index, opcode, reason}], predictedPlacement}`
 *   — ops/dtypes/shapes outside docs/edgetpu-model-requirements.md.
 *
 * Writing and editing
 * - `writeModel(model): Uint8Array` — TFL3 flatbuffer + appended bytes/associated files; read →
 *   write → read gives an equal model.
 * - `extractSubgraph(model, {fromOp, toOp}): Model` — contiguous slice of subgraph 0 as a
 *   standalone model (tensors/buffers/opcodes renumbered; boundary tensors become I/O).
 * - `sliceModel(model, first, last, inputs, outputs): Model` — the same cut with the boundary given.
 * - `appendOps(model, {tensors, ops, outputs}): Model` — add tensors (constants get buffers) and
 *   ops after the graph, set new outputs; references are tensor indices or new tensor names.
 * - `new ModelBuilder({description?, from?})` — build a model from scratch:
 *   `addTensor({name, dtype, shape, quantization?: {scale[], zeroPoint[], quantizedDimension?},
 *   data?}) → index`, `addOp({op: 'CONV_2D', inputs, outputs, options?}) → index`,
 *   `addOp({op: 'my-op', custom: true, customOptions})`, `setInputs([...])`, `setOutputs([...])`,
 *   `build(): Model`, `toBytes(): Uint8Array`. Options are camelCase fields of the op's options
 *   table with enum values as names (e.g. CONV_2D: {padding: 'SAME', strideW, strideH,
 *   fusedActivationFunction: 'RELU6', dilationWFactor, dilationHFactor}; FULLY_CONNECTED:
 *   {fusedActivationFunction, keepNumDims}; SOFTMAX: {beta}; RESHAPE: {newShape}; MEAN:
 *   {keepDims}; MAX/AVERAGE_POOL_2D: {padding, strideW, strideH, filterWidth, filterHeight};
 *   CONCATENATION: {axis}; DEPTHWISE_CONV_2D: {... depthMultiplier}). Missing fields get the
 *   values converters write (strides 1, beta 1, padding VALID, activation NONE);
 *   `completeOptions(op, partial)` shows the result. QUANTIZE/DEQUANTIZE take no options.
 *
 * (`inspectModel` lives in src/lib/edgetpu/executable: it decodes Edge TPU packages, a layer above.)
 */
export * from './types.ts';
export { readModel, TFLITE_IDENTIFIER, SUPPORTED_SCHEMA_VERSION } from './reader.ts';
export { readModelMetadata, labelFileName, METADATA_NAME } from './metadata.ts';
export { builtinOpName, builtinOpCode, CUSTOM_OP_CODE, EDGETPU_CUSTOM_OP, hasEdgeTpuOps } from './builtin-ops.ts';
export { OPTIONS_KINDS, PADDINGS, ACTIVATIONS, type Padding, type Activation } from './options.ts';
export { modelError, isModelError, guardParse, type ModelErrorReason } from './errors.ts';
export { CheckedByteBuffer } from './checked-buffer.ts';
export { parseLabels, appendedZipFiles, APPENDED_ZIP_LIMITS } from './zip.ts';
export {
  listZip,
  readZipEntry,
  unzipBounded,
  zipError,
  ZipBudget,
  type ZipEntry,
  type ZipErrorReason,
  type ZipLimits,
} from './bounded-zip.ts';
export {
  checkEdgeTpuCompatibility,
  EDGETPU_SUPPORTED_OPS,
  EDGETPU_MAX_SOFTMAX_ELEMENTS,
  type CompatibilityIssue,
  type CompatibilityReport,
} from './compatibility.ts';
export { writeModel } from './writer.ts';
export { extractSubgraph, sliceModel } from './slice.ts';
export { opRuns, type OpRun } from './op-runs.ts';
export {
  ModelBuilder,
  appendOps,
  completeOptions,
  OPTIONS_KIND_BY_OP,
  type TensorSpec,
  type OpSpec,
  type AppendSpec,
} from './edit.ts';
