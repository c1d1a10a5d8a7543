import { BuiltinOperator } from './generated/tflite/tflite/builtin-operator.ts';
import type { Model } from './types.ts';

const NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(BuiltinOperator)) NAMES.set(code, name);

export const CUSTOM_OP_CODE = BuiltinOperator.CUSTOM;

/** The custom code the Edge TPU compiler gives the op that carries the compiled part of a model. */
export const EDGETPU_CUSTOM_OP = 'edgetpu-custom-op';

/** True when the model was compiled for the Edge TPU (it has at least one Edge TPU op). */
export function hasEdgeTpuOps(model: Model): boolean {
  return model.operatorCodes.some((c) => c.customCode === EDGETPU_CUSTOM_OP);
}

/** Name of a builtin op code (e.g. 3 → `CONV_2D`); unknown codes from newer converters read as `BUILTIN_<n>`. */
export function builtinOpName(code: number): string {
  return NAMES.get(code) ?? `BUILTIN_${code}`;
}

/** Code of a builtin op name, or null. */
export function builtinOpCode(name: string): number | null {
  const code = (BuiltinOperator as Record<string, number>)[name];
  return code === undefined ? null : code;
}
