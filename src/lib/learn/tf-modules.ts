/**
 * The parts of tfjs Reef uses: core ops with their gradients and optimizers, layers, and the CPU
 * backend (the one that always starts; code and tests may pick it with `tf.setBackend('cpu')`).
 * The `@tensorflow/tfjs` bundle adds the graph-model converter and tf.data (unused) and the WebGL
 * backend up front; WebGL and WASM are loaded on demand by `initTf` (tfjs.ts). Measured with
 * esbuild, minified + gzip: the whole bundle 290 KB, core + layers 145 KB, CPU backend 43 KB,
 * WebGL backend 81 KB. Browser builds get this module in place of `@tensorflow/tfjs` (an alias in
 * vite.config.ts); Node keeps the union package, whose CJS build carries the gradients itself.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
