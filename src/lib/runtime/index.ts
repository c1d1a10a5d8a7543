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
export {
  hasEdgeTpuOps,
  opName,
  partitionModel,
  type Partition,
  type PlacedOp,
  type Placement,
  type Segment,
} from './partition.ts';
export {
  PartitionedEngine,
  type EdgeTpuOpRunner,
  type EdgeTpuOpSpec,
  type LoadOptions,
  type PartitionedEngineOptions,
  type PreparedTpuOp,
  type SubmodelExtractor,
} from './engines/composite.ts';
export { WasmEngine } from './engines/litert.ts';
export { EdgeTpuEngine, type EdgeTpuEngineOptions } from './engines/edgetpu.ts';
export { SegmentedModel } from './engines/segmented.ts';
export { REEF_KERNELS, quantizeTo, type KernelOp, type PreparedKernel, type ReefKernel } from './kernels/registry.ts';
export {
  detectionPostProcess,
  parseDetectionPostProcessOptions,
  nonMaxSuppression,
  type DetectionPostProcessOptions,
} from './kernels/detection-postprocess.ts';
export { argMax } from './kernels/arg-max.ts';
export {
  posenetDecode,
  parsePosenetDecoderOptions,
  POSENET_EDGES,
  type PosenetDecoderOptions,
} from './kernels/posenet-decoder.ts';
export { lstmSequence, type LstmWeights } from './kernels/lstm.ts';
export { tensorInfo } from './model-tensors.ts';
export { checkTensorSizes, MAX_TENSOR_ELEMENTS, MAX_ACTIVATION_BYTES } from './tensor-limits.ts';
export { sliceExtractor } from './submodel.ts';
export {
  pickWorkerVariant,
  workerLiteRtLoader,
  type WorkerLiteRtVariant,
  type WorkerLoaderOptions,
} from './litert-worker-loader.ts';
export {
  LiteRtGpuEngine,
  requestLiteRtGpuDevice,
  type LiteRtAccelerator,
  type LiteRtGpuEngineOptions,
} from './engines/litert-gpu.ts';
export * from './ladder/index.ts';
export { segmentDevices, segmentedRefusal } from './segment-placement.ts';
