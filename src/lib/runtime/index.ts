/** Runtime: one Engine interface over LiteRT.js (WASM), Reef kernels, the Edge TPU and their composite. */
export {
  allocateTensorArray,
  BYTES_PER_ELEMENT,
  dequantize,
  elementCount,
  type DType,
  type Engine,
  type LoadedModel,
  type RunResult,
  type Tensor,
  type TensorArray,
  type TensorInfo,
} from './engine.ts';
export {
  isLiteRtBoundaryType,
  LiteRtRuntime,
  type LiteRtGraph,
  type LiteRtLoader,
  type LiteRtModuleArgs,
  type LiteRtWasmModule,
  type LoadedLiteRt,
  type LiteRtOutput,
  type LiteRtVariantInfo,
} from './litert-runtime.ts';
