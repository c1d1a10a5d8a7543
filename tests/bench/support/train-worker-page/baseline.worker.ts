/// <reference types="vite/client" />
// The baseline of tests/bench/train-worker.bench.ts: a plain tfjs fit of the same head (Dense
// softmax, Adam 0.001, batch 32) on the same data, in a worker of its own on the backend the
// training worker chose, started by the same initTf. What Reef adds around it is the difference.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { expose } from 'comlink';
import { initTf, tf, type TfBackend } from '../../../../src/lib/learn/tfjs.ts';

export interface BaselineFit {
  backend: TfBackend;
  fitMs: number;
}

const api = {
  async fit(
    backend: TfBackend,
    x: Float32Array,
    y: Int32Array,
    shape: { n: number; dim: number; classes: number; epochs: number },
  ): Promise<BaselineFit> {
    const started = await initTf({
      backends: [backend],
      wasmPaths: {
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
      },
    });
    const xs = tf.tensor2d(x, [shape.n, shape.dim]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), shape.classes).toFloat();
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [shape.dim], units: shape.classes, activation: 'softmax' })],
    });
    model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    // Warm-up (kernels, shaders), as the training worker gets one too.
    await model.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0 });
    const t = performance.now();
    await model.fit(xs, ys, { epochs: shape.epochs, batchSize: 32, verbose: 0 });
    const fitMs = performance.now() - t;
    tf.dispose([xs, ys]);
    model.dispose();
    return { backend: started, fitMs };
  },
};

export type BaselineApi = typeof api;
expose(api);
