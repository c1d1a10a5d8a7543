/**
 * Edge TPU executables: the `edgetpu-custom-op` options (FlexBuffer map) and the DWN1 package
 * inside (executables, layers, instruction chunks with relocations, parameters, DMA hints).
 *
 * - `findEdgeTpuOps(model, {maxRuntimeVersion?}): EdgeTpuOp[]` — every Edge TPU op, decoded.
 * - `readEdgeTpuCustomOptions(customOptions): EdgeTpuCustomOptions`
 * - `readEdgeTpuPackage(packageBytes, {maxRuntimeVersion?}): EdgeTpuPackage`
 * - `readExecutable(executableBytes): EdgeTpuExecutable`
 * - `selectExecutables(pkg): {main, parameterCaching}` — protocol §5.4.
 * - `assertSupportedCustomOps(model, supported)` — throws `unknown-custom-op`.
 */
export * from './types.ts';
export { EDGETPU_CUSTOM_OP, readEdgeTpuCustomOptions } from './custom-options.ts';
export { readFlexMap, type FlexValue } from './flexbuffer-map.ts';
export {
  readEdgeTpuPackage,
  readExecutable,
  selectExecutables,
  PACKAGE_IDENTIFIER,
  MAX_RUNTIME_VERSION,
  MIN_RECOMMENDED_RUNTIME_VERSION,
  type ReadPackageOptions,
} from './package.ts';
export { findEdgeTpuOps, isEdgeTpuOp, assertSupportedCustomOps } from './find.ts';
export {
  inspectModel,
  inspectReadModel,
  PARAMETER_CACHE_BYTES,
  type ModelInspection,
  type InspectedTensor,
  type InspectedOp,
  type InspectedSegment,
  type InspectedExecutable,
  type InspectedEdgeTpu,
  type Placement,
} from './inspect.ts';
