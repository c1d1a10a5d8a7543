/// <reference lib="webworker" />
// Entry of the training worker: builds the API and exposes it, nothing else. The page terminates
// this worker to cancel at once; `cancel()` stops more gently at the next batch.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { expose } from 'comlink';
import { TrainingApi } from './training-api.ts';
import { installTransferHandlers } from './transfer-handlers.ts';

installTransferHandlers();
expose(
  new TrainingApi({
    // WebGL trains convolutions; tfjs-wasm lacks their gradients, so it is not used for training.
    backends: ['webgl', 'cpu'],
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  }),
);
