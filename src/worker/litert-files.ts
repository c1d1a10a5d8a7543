/**
 * Where a worker finds LiteRT.js: wasm/stage-litert.ts serves the runtime files from our own origin
 * under /litert/. Resolved when a runtime first loads, so building a worker API touches no worker
 * global (Node tests build it too).
 */
import { workerLiteRtLoader, type LiteRtLoader, type WorkerLiteRtVariant } from '../lib/runtime/index.ts';

export function liteRtBaseUrl(): string {
  // Vite sets BASE_URL; typed loosely so Node-side type checks (tests import the workers) pass too.
  const base = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return new URL(`${base}litert/`, self.location.origin).href;
}

/** A loader of this origin's LiteRT.js files (`variant`: e.g. the JSPI build). */
export function liteRtLoader(variant?: WorkerLiteRtVariant): LiteRtLoader {
  return {
    load(hooks) {
      return workerLiteRtLoader({ baseUrl: liteRtBaseUrl(), ...(variant ? { variant } : {}) }).load(hooks);
    },
  };
}

/** LiteRT's JSPI build where this engine has JavaScript Promise Integration, else feature detection. */
export function jspi(): WorkerLiteRtVariant | undefined {
  return typeof (WebAssembly as unknown as Record<string, unknown>)['Suspending'] === 'function' ? 'jspi' : undefined;
}
