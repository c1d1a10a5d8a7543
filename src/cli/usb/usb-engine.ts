/**
 * `reef run --device usb[:N]`: the composite engine (Reef's WASM engine for CPU ops) with the
 * Edge TPU op on a Coral through node-usb. Disposing the engine closes the Edge TPU.
 */
import { createEdgeTpuOpRunner, type EdgeTpu, type UsbHostLike } from '../../lib/edgetpu/index.ts';
import { LiteRtRuntime, PartitionedEngine } from '../../lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../litert-node.ts';
import { nodeUsb } from './node-usb.ts';
import { openCoral, traceToFile } from './open-coral.ts';

export class UsbCompositeEngine extends PartitionedEngine {
  readonly tpu: EdgeTpu;
  /** Resolves when the Edge TPU was closed after `dispose()`. */
  closed: Promise<void> = Promise.resolve();

  constructor(tpu: EdgeTpu, device: string) {
    super({ runtime: new LiteRtRuntime(nodeLiteRtLoader), tpu: createEdgeTpuOpRunner(tpu, device) });
    this.tpu = tpu;
  }

  override dispose(): void {
    super.dispose();
    this.closed = this.tpu.close();
  }
}

export interface UsbEngineOptions {
  usb?: UsbHostLike;
  /** JSON-lines trace file. */
  trace?: string;
  firmwareFile?: string;
  log?: (line: string) => void;
}

export async function createUsbEngine(spec: string, options: UsbEngineOptions = {}): Promise<UsbCompositeEngine> {
  const usb = options.usb ?? (await nodeUsb());
  const { tpu, id } = await openCoral(usb, {
    spec,
    ...(options.trace ? { trace: traceToFile(options.trace) } : {}),
    ...(options.firmwareFile ? { firmwareFile: options.firmwareFile } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return new UsbCompositeEngine(tpu, id);
}
