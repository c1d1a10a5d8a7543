/** The line `reef quantize` prints for Reef's Edge TPU compatibility check of a written model. */
export function edgeTpuCheckLine(check: {
  edgetpuCompatible: boolean;
  unsupported: readonly { reason: string }[];
}): string {
  return check.edgetpuCompatible
    ? 'Edge TPU: every op can be mapped (compile with edgetpu_compiler)'
    : `Edge TPU: ${check.unsupported.length} problem(s): ${check.unsupported.map((u) => u.reason).join('; ')}`;
}
