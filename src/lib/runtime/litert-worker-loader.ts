/**
 * LiteRT.js in the accelerator worker. The worker is a module worker (no `importScripts`) under a
 * CSP without eval, so the glue is imported as an ES module (`<stem>.mjs`, staged by wasm/) from
 * our own origin. Cross-origin isolated → the threaded build with one thread per core; otherwise
 * the single-threaded build (relaxed SIMD when the engine has it, else the compat build).
 */
import { supportsFeature } from '@litertjs/core';
import type { LiteRtLoader, LiteRtModuleArgs, LiteRtWasmModule, LoadedLiteRt } from './litert-runtime.ts';

export type WorkerLiteRtVariant = 'threaded' | 'jspi' | 'plain' | 'compat';

function stem(variant: WorkerLiteRtVariant): string {
  return variant === 'plain' ? 'litert_wasm_internal' : `litert_wasm_${variant}_internal`;
}

export async function pickWorkerVariant(): Promise<WorkerLiteRtVariant> {
  const relaxed = await supportsFeature('relaxedSimd');
  if (relaxed && globalThis.crossOriginIsolated === true && (await supportsFeature('threads'))) return 'threaded';
  return relaxed ? 'plain' : 'compat';
}

export interface WorkerLoaderOptions {
  /** Absolute URL of the directory holding the staged files, ending in `/`. */
  baseUrl: string;
  /** Force a variant (benchmarks compare them); default: feature detection. */
  variant?: WorkerLiteRtVariant;
  threads?: number;
}

export function workerLiteRtLoader(options: WorkerLoaderOptions): LiteRtLoader {
  return {
    async load(hooks = {}): Promise<LoadedLiteRt> {
      const variant = options.variant ?? (await pickWorkerVariant());
      const base = options.baseUrl;
      const glue = (await import(/* @vite-ignore */ `${base}${stem(variant)}.mjs`)) as {
        default: (args: LiteRtModuleArgs) => Promise<LiteRtWasmModule>;
      };
      const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
      const module = await glue.default({
        locateFile: (path) => `${base}${path}`,
        // The threaded build starts its pthread workers from the classic glue script.
        mainScriptUrlOrBlob: `${base}${stem(variant)}.js`,
        // The runtime's capture judges the lines and summarises failures in a typed error.
        print: (text) => hooks.log?.(text),
        printErr: (text) => {
          if (hooks.log) hooks.log(text);
          else if (/^(ERROR|FATAL)/.test(text)) console.warn(`litert: ${text}`);
        },
      });
      return { module, variant, threads: variant === 'threaded' ? (options.threads ?? cores) : 1 };
    },
  };
}
