/**
 * The virtual Coral, a test double of the Coral USB Accelerator for tests and test builds only.
 * Nothing under src/ imports it; no figure measured on it is a hardware result.
 */
export {
  VirtualCoral,
  ZERO_LATENCY,
  type LatencyModel,
  type TransferFilter,
  type VirtualCoralOptions,
} from './virtual-coral.ts';
export { EmulatedUsb } from './usb-host.ts';
export { EmulatedUsbDevice } from './device.ts';
export { AppFunction, syntheticOutputs, type ComputeFn, type AppStats } from './app-function.ts';
export { scatterOutput, unpackInput } from './device-layout.ts';
export { readEmulatedModel, type EmulatedModel } from './executable-model.ts';
export { DFU_TRANSFER_SIZE } from './dfu-function.ts';
export { EmulatorProtocolError } from './errors.ts';
