/**
 * Which engine `reef run --device <spec>` gets: the engine ladder (src/lib/runtime/ladder) asked
 * for `auto`, `cpu`/`wasm` (Reef's WASM engine: LiteRT.js + Reef kernels), `webgpu` (where Node
 * has it), `usb` or `usb:N` (a Coral, flashed if needed). See ladder-engine.ts.
 */
import { createLadderEngine, type CliEngine, type LadderEngineOptions } from './ladder-engine.ts';

export async function createEngineForDevice(spec: string, options: LadderEngineOptions = {}): Promise<CliEngine> {
  return createLadderEngine(spec, options);
}
