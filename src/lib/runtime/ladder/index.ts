/** The engine ladder: one registry of engines and one scheduler that picks among them per model. */
export {
  EngineRegistry,
  engineLabel,
  type EngineCapabilities,
  type EngineFactory,
  type EngineKind,
  type EngineLoadOptions,
  type EngineProbe,
} from './registry.ts';
export {
  EngineLadder,
  type EngineLadderOptions,
  type EngineRequest,
  type LadderDecision,
  type LadderEntry,
  type LadderLoadOptions,
  type LadderModel,
  type SkippedEngine,
} from './scheduler.ts';
export {
  calibrationInputs,
  compareOutputs,
  DEFAULT_CALIBRATION,
  FLOAT_RELATIVE,
  QUANTIZED_STEPS,
  timeRuns,
  type Agreement,
  type CalibrationOptions,
} from './calibration.ts';
export {
  engineSetKey,
  FileChoiceCache,
  IdbChoiceCache,
  MemoryChoiceCache,
  type CachedChoice,
  type CandidateFigure,
  type ChoiceCache,
  type ChoiceFileSystem,
} from './choice-cache.ts';
export { edgeTpuFactory, wasmFactory, webGpuFactory, webNnFactory, type EdgeTpuFactoryOptions } from './factories.ts';
