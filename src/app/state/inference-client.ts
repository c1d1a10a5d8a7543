/**
 * The page's side of inference: sends a frame and the chosen model to the accelerator worker and
 * gets back a task result to draw. Frames travel as transferable ImageBitmaps.
 */
import type { InferenceResult } from './inference.ts';
import type { ModelChoice, ModelTask } from './model-choices.svelte.ts';

/** `auto` (a TPU when one is connected, else WASM), `wasm`, or a device id such as `usb:0`. */
export type EngineChoice = string;

export interface InferenceRequest {
  model: ModelChoice;
  task: ModelTask;
  engine: EngineChoice;
  topK?: number;
}

export async function infer(request: InferenceRequest, frame: ImageBitmap): Promise<InferenceResult> {
  void request;
  frame.close();
  throw new Error('Inference is not available in this build yet: the worker has no engine to run models on.');
}

export interface BenchmarkResult {
  engine: string;
  device: string;
  samplesMs: number[];
}

/** Times `iterations` runs of the model in the worker; `onProgress` gets the count done so far. */
export async function benchmarkModel(
  request: InferenceRequest,
  iterations: number,
  onProgress: (done: number) => void,
): Promise<BenchmarkResult> {
  void request;
  void iterations;
  void onProgress;
  throw new Error('Benchmarks are not available in this build yet: the worker has no engine to run models on.');
}
