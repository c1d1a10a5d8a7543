/**
 * `reef run --device usb[:N]`: the Edge TPU engine (the composite: Reef's WASM engine for CPU ops,
 * the Edge TPU op on a Coral through node-usb). Disposing the engine closes the Edge TPU.
 */
import type { UsbHostLike } from '../../lib/edgetpu/index.ts';
import { EdgeTpuEngine } from '../../lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../litert-node.ts';
import { nodeUsb } from './node-usb.ts';
import { openCoral, traceToFile } from './open-coral.ts';

export interface UsbEngineOptions {
  usb?: UsbHostLike;
  /** Opens the USB host when `usb` is not given (default node-usb's WebUSB; the CLI's deps). */
  openUsb?: () => Promise<UsbHostLike>;
  /** JSON-lines trace file. */
  trace?: string;
  firmwareFile?: string;
  log?: (line: string) => void;
}

export async function createUsbEngine(spec: string, options: UsbEngineOptions = {}): Promise<EdgeTpuEngine> {
  const usb = options.usb ?? (await (options.openUsb ?? nodeUsb)());
  const { tpu, id } = await openCoral(usb, {
    spec,
    ...(options.trace ? { trace: traceToFile(options.trace) } : {}),
    ...(options.firmwareFile ? { firmwareFile: options.firmwareFile } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return new EdgeTpuEngine(tpu, { loader: nodeLiteRtLoader, device: id, closeDevice: true });
}
