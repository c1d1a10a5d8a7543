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
 * (`inspectModel` lives in src/lib/edgetpu/executable: it decodes Edge TPU packages, a layer above.)
 */
export * from './types.ts';
export { readModel, TFLITE_IDENTIFIER, SUPPORTED_SCHEMA_VERSION } from './reader.ts';
export { readModelMetadata, labelFileName, METADATA_NAME } from './metadata.ts';
export { builtinOpName, builtinOpCode, CUSTOM_OP_CODE } from './builtin-ops.ts';
export { OPTIONS_KINDS, PADDINGS, ACTIVATIONS, type Padding, type Activation } from './options.ts';
export { modelError, isModelError, guardParse, type ModelErrorReason } from './errors.ts';
export { CheckedByteBuffer } from './checked-buffer.ts';
export { parseLabels } from './zip.ts';
export {
  checkEdgeTpuCompatibility,
  EDGETPU_SUPPORTED_OPS,
  EDGETPU_MAX_SOFTMAX_ELEMENTS,
  type CompatibilityIssue,
  type CompatibilityReport,
} from './compatibility.ts';
