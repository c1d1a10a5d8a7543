import { modelError, type Model } from '../../tflite/index.ts';
import { EDGETPU_CUSTOM_OP, readEdgeTpuCustomOptions } from './custom-options.ts';
import { readEdgeTpuPackage, type ReadPackageOptions } from './package.ts';
import type { EdgeTpuOp } from './types.ts';

/** True when operator `opIndex` of `subgraph` is an Edge TPU op. */
export function isEdgeTpuOp(model: Model, opcodeIndex: number): boolean {
  return model.operatorCodes[opcodeIndex]?.customCode === EDGETPU_CUSTOM_OP;
}

/**
 * Every `edgetpu-custom-op` of the model with its decoded options and package (executables,
 * layers, instruction chunks, parameters, hints). Empty for a CPU-only model.
 */
export function findEdgeTpuOps(model: Model, options: ReadPackageOptions = {}): EdgeTpuOp[] {
  const found: EdgeTpuOp[] = [];
  model.subgraphs.forEach((subgraph, subgraphIndex) => {
    subgraph.operators.forEach((op, opIndex) => {
      if (!isEdgeTpuOp(model, op.opcodeIndex)) return;
      if (!op.customOptions || op.customOptions.length === 0)
        throw modelError('malformed', `Edge TPU op ${opIndex} has no custom options`);
      const customOptions = readEdgeTpuCustomOptions(op.customOptions);
      found.push({
        subgraphIndex,
        opIndex,
        inputs: op.inputs,
        outputs: op.outputs,
        options: customOptions,
        package: readEdgeTpuPackage(customOptions.packageBytes, options),
      });
    });
  });
  return found;
}

/**
 * Throws `unknown-custom-op` when the model uses a custom op outside `supported` (Edge TPU ops
 * are always supported), so an engine refuses a model it cannot run before it starts.
 */
export function assertSupportedCustomOps(model: Model, supported: readonly string[]): void {
  for (const code of model.operatorCodes) {
    if (code.customCode === null || code.customCode === EDGETPU_CUSTOM_OP) continue;
    if (!supported.includes(code.customCode))
      throw modelError('unknown-custom-op', `the model uses custom op "${code.customCode}", which is not supported`);
  }
}
