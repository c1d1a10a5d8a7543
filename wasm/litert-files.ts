/**
 * LiteRT.js runtime files: where they come from (node_modules, never committed) and where the app
 * serves them from (our own origin, so COEP and the CSP allow them and the service worker caches them).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const LITERT_URL_DIR = 'litert';

/** The variants @litertjs/core ships; the worker picks one by feature detection. */
export const LITERT_VARIANTS = ['threaded', 'jspi', 'plain', 'compat'] as const;
export type LiteRtVariant = (typeof LITERT_VARIANTS)[number];

export function litertFileStem(variant: LiteRtVariant): string {
  return variant === 'plain' ? 'litert_wasm_internal' : `litert_wasm_${variant}_internal`;
}

export function litertSourceDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@litertjs/core/package.json')), 'wasm');
}

export function litertFileNames(): string[] {
  return LITERT_VARIANTS.flatMap((v) => [`${litertFileStem(v)}.js`, `${litertFileStem(v)}.wasm`]);
}

/**
 * The glue as an ES module (`<stem>.mjs`): the accelerator worker is a module worker, where
 * `importScripts` is unavailable and the CSP forbids eval, so it imports this instead. The `.js`
 * original stays: the threaded build's pthread workers are classic workers that load it.
 */
export function litertModuleName(variant: LiteRtVariant): string {
  return `${litertFileStem(variant)}.mjs`;
}

export function litertModuleSource(classicGlue: string): string {
  return `${classicGlue}\nexport default ModuleFactory;\n`;
}
