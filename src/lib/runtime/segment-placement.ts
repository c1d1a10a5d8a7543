/**
 * Where a model compiled in segments may run. Only Edge TPUs: a segment's Edge TPU op has no CPU
 * version (Coral publishes segment sets without a CPU twin of each segment), so WASM and the GPU
 * refuse with a typed reason instead of a result. `auto` and `usb` spread the segments over the
 * ready TPUs (one each while they last: pipelined); `usb:N` runs every segment on that TPU in
 * turn (each segment keeps its own parameter cache there).
 */
import { ReefError } from '../errors.ts';

/** The reason every off-TPU refusal of a segment set carries. */
const SEGMENTED_NEEDS_TPU = 'segmented-needs-tpu';

const OFF_TPU: Record<string, string> = {
  wasm: 'CPU (WebAssembly)',
  cpu: 'CPU (WebAssembly)',
  webgpu: 'GPU (WebGPU)',
  webnn: 'WebNN',
};

/** The refusal for an engine that is not a TPU, or for `auto` with no TPU ready (`why`). */
export function segmentedRefusal(engine: string, why?: string): ReefError {
  const where = OFF_TPU[engine];
  const head = where ? `${where} cannot run this model` : 'This model needs an Edge TPU';
  return new ReefError(
    'FAILED_PRECONDITION',
    `${head}: compiled in segments: no CPU twin of segments${why ? ` (${why})` : ''}. Run it on a Coral.`,
    { reason: SEGMENTED_NEEDS_TPU },
  );
}

/**
 * The TPU of each request: `usb:N` alone (segments in turn), else the ready TPUs in id order, at
 * most one per segment. Throws the typed refusal for engines off the TPU and for no ready TPU.
 */
export function segmentDevices(
  engine: string,
  ready: readonly string[],
  segments: number,
  whyNone = 'no Edge TPU is ready',
): string[] {
  if (engine in OFF_TPU) throw segmentedRefusal(engine);
  if (/^usb:\d+$/.test(engine)) return [engine];
  if (engine !== 'auto' && engine !== 'usb') {
    throw new ReefError('INVALID_ARGUMENT', `engine "${engine}" is not one of auto, usb, usb:N, webgpu, webnn, wasm`, {
      reason: 'unknown-engine',
    });
  }
  if (ready.length === 0) throw segmentedRefusal(engine, whyNone);
  return ready.slice(0, segments);
}
