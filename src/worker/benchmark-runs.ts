/**
 * The Benchmark page's timing loop, apart from the worker API: one warm-up run that is not counted,
 * then `iterations` timed runs on a fixed input pattern of the model's own shapes and types.
 */
import {
  allocateTensorArray,
  elementCount,
  type DType,
  type RunResult,
  type TensorArray,
} from '../lib/runtime/index.ts';

export interface TimedRuns {
  engine: string;
  device: string;
  samplesMs: number[];
}

/** Deterministic, non-zero inputs: the same work in every run and on every engine. */
export function patternInputs(inputs: readonly { dtype: DType; shape: readonly number[] }[]): TensorArray[] {
  return inputs.map((t) => {
    const data = allocateTensorArray(t.dtype, elementCount(t.shape));
    if (!(data instanceof BigInt64Array)) for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 127;
    return data;
  });
}

/** `onProgress` gets the count done so far, every fifth run and at the end. */
export async function timeRuns(
  run: () => Promise<RunResult>,
  iterations: number,
  onProgress?: (done: number) => void,
): Promise<TimedRuns> {
  const warm = await run();
  const samplesMs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    samplesMs.push((await run()).ms);
    if (i % 5 === 4 || i === iterations - 1) onProgress?.(i + 1);
  }
  return { engine: warm.engine, device: warm.device, samplesMs };
}
