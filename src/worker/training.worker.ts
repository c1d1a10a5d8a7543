/// <reference lib="webworker" />
// Entry of the training worker: builds the API and exposes it, nothing else. The page terminates
// this worker to cancel at once; `cancel()` stops more gently at the next batch.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { expose } from 'comlink';
import { WasmEngine, workerLiteRtLoader } from '../lib/runtime/index.ts';
import { liteRtBaseUrl } from './litert-files.ts';
import { TrainingApi } from './training-api.ts';
import { installTransferHandlers } from './transfer-handlers.ts';

installTransferHandlers();
expose(
  new TrainingApi({
    engine: () => new WasmEngine(workerLiteRtLoader({ baseUrl: liteRtBaseUrl() })),
    // The GPU when the browser grants a WebGPU adapter (issue 14's ladder for training), else the
    // fastest CPU backend (tests/bench/learn.bench.ts); each start is bounded by the same time
    // limit (initTf). The API skips wasm for convolution training.
    backends: ['webgpu', 'wasm', 'webgl', 'cpu'],
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
  }),
);
