/**
 * Which engine `reef run --device <spec>` gets. `cpu` is Reef's WASM engine (LiteRT.js + Reef
 * kernels). USB Edge TPUs (`usb`, `usb:N`) plug in here: extend `createEngineForDevice`.
 */
import { ReefError } from '../../lib/errors.ts';
import type { PartitionedEngine } from '../../lib/runtime/index.ts';
import { WasmEngine } from '../../lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../litert-node.ts';
import { createUsbEngine, type UsbEngineOptions } from '../usb/usb-engine.ts';

export async function createEngineForDevice(spec: string, options: UsbEngineOptions = {}): Promise<PartitionedEngine> {
  if (spec === 'cpu') return new WasmEngine(nodeLiteRtLoader);
  if (/^usb(:\d+)?$/.test(spec)) return createUsbEngine(spec, options);
  throw new ReefError(
    'UNIMPLEMENTED',
    `device '${spec}' is not available in this build; use --device cpu, usb or usb:N`,
    {
      reason: 'unknown-device',
    },
  );
}
