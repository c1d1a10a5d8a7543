/**
 * The one place learn reaches tfjs from. Backend choice: `wasm` (fast everywhere, needs its .wasm
 * files served), `webgl` (browser only), `cpu` (always there; what tests and the CLI fall back to).
 */
import * as tf from '@tensorflow/tfjs';
import { ReefError } from '../errors.ts';

export { tf };

export type TfBackend = 'wasm' | 'webgl' | 'cpu';

export interface TfInitOptions {
  /** Tried in order; the first that initialises wins. */
  backends?: readonly TfBackend[];
  /**
   * Where tfjs-backend-wasm's .wasm files are served: a URL prefix (a directory in Node), or one
   * URL per file name (what a bundler's `?url` imports give).
   */
  wasmPaths?: string | Record<string, string>;
}

/** Picks and initialises a tfjs backend; returns its name. */
export async function initTf(options: TfInitOptions = {}): Promise<TfBackend> {
  const wanted = options.backends ?? ['cpu'];
  // Production mode: skips tfjs's debug checks and its "install tfjs-node" banner in Node, which
  // would only confuse CLI users (Reef deliberately uses no native addon).
  tf.env().set('PROD', true);
  for (const name of wanted) {
    if (name === 'wasm') {
      // Loaded lazily: it pulls in a WASM binary only users of this backend need.
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths);
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // This backend cannot start here (no WebGL in a worker, no files for wasm): try the next.
    }
  }
  throw new ReefError('UNAVAILABLE', `none of the tfjs backends ${wanted.join(', ')} could start`, {
    reason: 'no-tf-backend',
  });
}
