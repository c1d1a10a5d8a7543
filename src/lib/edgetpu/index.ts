/**
 * The Edge TPU area's public face: USB driver (`openEdgeTpu`), firmware (`flashFirmware`), trace,
 * device identity and manager, placement and pipelining, and the model-side decoding.
 */
export {
  openEdgeTpu,
  EdgeTpu,
  EdgeTpuModel,
  type EdgeTpuState,
  type EdgeTpuStats,
  type EdgeTpuTensor,
  type EdgeTpuInfo,
  type TensorSpec,
  type TpuTypedArray,
} from './driver/edge-tpu.ts';
export {
  createEdgeTpuOpRunner,
  type EdgeTpuOpRunnerImpl,
  type PreparedEdgeTpuOp,
  type TpuOpSpec,
} from './devices/op-runner.ts';
export {
  CLOCK_ALIASES,
  DEFAULT_OPTIONS,
  resolveClock,
  type ClockName,
  type EdgeTpuOptions,
} from './driver/driver-options.ts';
export {
  flashFirmware,
  waitForAppDevice,
  checkFirmware,
  FIRMWARE_SHA256,
  FIRMWARE_SIZES,
  type FlashOptions,
  type FlashProgress,
} from './dfu/flash.ts';
export {
  createTraceRecorder,
  createTraceSwitch,
  parseTrace,
  toHex,
  type TraceRecord,
  type TraceRecorder,
  type TraceSink,
  type TraceSwitch,
} from './usb/trace.ts';
export type { UsbDeviceLike, UsbHostLike } from './usb/device.ts';
export type { ClockPreset } from './usb/registers.ts';
export { programFromModel, programFromPackage, type ModelProgram } from './program/program-from-model.ts';
export type { TpuProgram, ProgramExecutable, ProgramLayer, ProgramHint } from './program/tpu-program.ts';
export {
  APP_PRODUCT_ID,
  APP_VENDOR_ID,
  CORAL_USB_FILTERS,
  DFU_PRODUCT_ID,
  DFU_VENDOR_ID,
  personalityOf,
  usbSpeedOf,
  type Personality,
  type UsbSpeed,
} from './usb/identity.ts';
export { DeviceManager, type DeviceEvent, type ManagedDevice, type UsbLike } from './devices/manager.ts';
export {
  chooseDevice,
  ParameterResidency,
  type DeviceSlot,
  type PlacedModel,
  type PlacementDecision,
} from './devices/placement.ts';
export {
  assignSegmentDevices,
  createSegmentPipeline,
  orderSegments,
  PipelinedRunner,
  segmentOf,
  type PipelineOptions,
  type PipelineStage,
  type SegmentArray,
  type SegmentModel,
  type SegmentPipeline,
  type SegmentPipelineOptions,
  type SegmentSource,
  type StageStats,
  type Tensors,
} from './devices/pipeline.ts';
export { checkSegmentSet, type SegmentFile, type SegmentSet } from './devices/segment-set.ts';
export {
  DevicePool,
  PooledModel,
  type DevicePoolOptions,
  type PoolDeviceInfo,
  type PoolDeviceState,
  type PoolEvent,
  type PoolLoadOptions,
  type PoolOpRunner,
} from './devices/device-pool.ts';
export * as executable from './executable/index.ts';
// The model side most callers need, without the namespace (the rest stays under `executable`).
export {
  inspectModel,
  findEdgeTpuOps,
  readEdgeTpuPackage,
  selectExecutables,
  assertSupportedCustomOps,
  EDGETPU_CUSTOM_OP,
  type ModelInspection,
  type EdgeTpuOp,
  type EdgeTpuPackage,
  type EdgeTpuExecutable,
} from './executable/index.ts';
