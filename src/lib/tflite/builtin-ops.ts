import { BuiltinOperator } from './generated/tflite/tflite/builtin-operator.ts';

const NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(BuiltinOperator)) NAMES.set(code, name);

export const CUSTOM_OP_CODE = BuiltinOperator.CUSTOM;

/** Name of a builtin op code (e.g. 3 → `CONV_2D`); unknown codes from newer converters read as `BUILTIN_<n>`. */
export function builtinOpName(code: number): string {
  return NAMES.get(code) ?? `BUILTIN_${code}`;
}

/** Code of a builtin op name, or null. */
export function builtinOpCode(name: string): number | null {
  const code = (BuiltinOperator as Record<string, number>)[name];
  return code === undefined ? null : code;
}
