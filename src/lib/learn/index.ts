/**
 * Learn: training heads on embeddings, weight imprinting, quantizing heads and whole tfjs models
 * to full-int8 TFLite, and composing trained heads after an extractor. The one area that imports
 * tfjs; every step runs in `tf.tidy` or disposes what it made.
 */
export { initTf, tf, type TfBackend, type TfInitOptions } from './tfjs.ts';
export {
  balancedClassWeights,
  classCounts,
  seededRandom,
  stratifiedIndices,
  stratifiedSplit,
  subset,
  type EmbeddingSet,
} from './dataset.ts';
export {
  accuracy,
  buildHead,
  predictClasses,
  trainHead,
  type EpochProgress,
  type HeadArchitecture,
  type HeadTrainingOptions,
  type TrainedHead,
} from './head.ts';
export { imprintHead, imprintWeights, type ImprintOptions } from './imprint.ts';
export { augmentImage, augmentMany, centerCrop, rgbBytes, DEFAULT_AUGMENT, type AugmentOptions } from './augment.ts';
export { headSpec, denseLayersOf, softmaxOutputParams, type HeadInput, type DenseWeights } from './head-spec.ts';
export { builderOptions, emitModel, opVersion } from './emit.ts';
export type { ModelSpec, SpecOp, SpecTensor, SpecDType, SpecQuant } from './model-spec.ts';
export {
  chooseActivationParams,
  quantizeWeightsSymmetric,
  quantizeWeightsUint8,
  quantizeBias,
  percentileRange,
  type QuantDType,
  type QuantParams,
} from './quant.ts';
export { buildLayerGraph, type LayerGraph, type GraphNode } from './ptq/graph.ts';
export {
  quantizeLayersModel,
  type Calibration,
  type PtqOptions,
  type PtqReport,
  type PtqResult,
} from './ptq/quantize.ts';
export { buildSmallCnn, trainImageModel, type ImageTrainingOptions, type SmallCnnOptions } from './small-cnn.ts';
export {
  embedImages,
  embeddingKey,
  extractorId,
  extractorOutput,
  MemoryEmbeddingCache,
  type EmbedOptions,
  type EmbeddingCache,
  type EmbeddingEngine,
} from './embeddings.ts';
export { composeModel, appendSpecOf, headInputOf, labelsFile, type ComposeOptions } from './compose.ts';
export {
  datasetWarnings,
  heldOutMetrics,
  nearDuplicateCounts,
  splitImpossibleReason,
  type ClassMetrics,
  type DatasetWarning,
  type HeldOutMetrics,
  type TrainingMetrics,
} from './metrics.ts';
export {
  quantizeTeachable,
  readTeachableExport,
  teachableBatch,
  TEACHABLE_INPUT_RANGE,
  type TeachableExport,
  type TeachableFile,
  type RunQuantized,
  type TeachableResult,
} from './teachable.ts';
export { compareTop1, tallyTop1, type Top1Agreement, type Top1Outcome } from './agreement.ts';
export { loadTfjsModel, saveTfjsModel, WEIGHTS_FILE, type TfjsModelFiles } from './tfjs-io.ts';
export {
  imageBatch,
  quantizeToTflite,
  trainSmallCnnModel,
  trainTransfer,
  type LabeledImages,
  type QuantizeResult,
  type SmallCnnResult,
  type SmallCnnTrainOptions,
  type TrainingEvent,
  type TransferOptions,
  type TransferResult,
} from './pipeline.ts';
