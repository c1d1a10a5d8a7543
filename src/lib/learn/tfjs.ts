/**
 * The one place learn reaches tfjs from. Backend choice: `webgpu` (where the browser grants a GPU
 * adapter), `wasm` (fast everywhere, needs its .wasm files served), `webgl` (browser only), `cpu`
 * (always there; what tests and the CLI fall back to).
 */
// Browser builds resolve this to ./tf-modules.ts (vite.config.ts); Node uses the whole package.
import * as tf from '@tensorflow/tfjs';
import { withDeadline } from '../deadline.ts';
import { ReefError } from '../errors.ts';

export { tf };

export type TfBackend = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export interface TfInitOptions {
  /** Tried in order; the first that initialises wins. */
  backends?: readonly TfBackend[];
  /**
   * Where tfjs-backend-wasm's .wasm files are served: a URL prefix (a directory in Node), or one
   * URL per file name (what a bundler's `?url` imports give).
   */
  wasmPaths?: string | Record<string, string>;
  /** Per backend; a start that takes longer counts as failed (default 20 s). */
  startTimeoutMs?: number;
}

/** How long one backend may take to start before the next is tried. */
const BACKEND_START_TIMEOUT_MS = 20_000;

/** Picks and initialises a tfjs backend; returns its name. */
export async function initTf(options: TfInitOptions = {}): Promise<TfBackend> {
  const wanted = options.backends ?? ['cpu'];
  const timeoutMs = options.startTimeoutMs ?? BACKEND_START_TIMEOUT_MS;
  // Production mode: skips tfjs's debug checks and its "install tfjs-node" banner in Node, which
  // would only confuse CLI users (Reef deliberately uses no native addon).
  tf.env().set('PROD', true);
  for (const name of wanted) {
    if (name === 'webgpu') {
      // Only where WebGPU exists: the backend's module refers to WebGPU's globals. It starts only
      // when the browser grants an adapter, within the same time limit as any backend.
      if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) continue;
      await import('@tensorflow/tfjs-backend-webgpu');
    }
    // WebGL registers itself when its module loads: fetched only when it is the one wanted (the
    // CPU backend is always there).
    if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
    if (name === 'wasm') {
      // Loaded lazily: it pulls in a WASM binary only users of this backend need.
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths);
      // tfjs's threaded build starts its threads from a blob: script, which Reef's CSP
      // (worker-src 'self') refuses, and tfjs then waits forever. The single-threaded SIMD build
      // trains Reef's small heads well within the goal (tests/bench/learn.bench.ts).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    try {
      const late = `tfjs backend ${name} did not start within ${timeoutMs} ms`;
      if (await withDeadline(tf.setBackend(name), timeoutMs, late, 'tf-backend-timeout')) {
        await withDeadline(tf.ready(), timeoutMs, late, 'tf-backend-timeout');
        return name;
      }
    } catch {
      // This backend cannot start here (no WebGL in a worker, no files for wasm, a start that
      // never finishes): try the next.
    }
  }
  throw new ReefError('UNAVAILABLE', `none of the tfjs backends ${wanted.join(', ')} could start`, {
    reason: 'no-tf-backend',
  });
}
