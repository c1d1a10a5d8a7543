/**
 * A model compiled in segments, loaded as one model: the Edge TPU area's segment pipeline
 * (segment k on its TPU, frames overlapped; or every segment on one TPU in turn) behind the same
 * `LoadedModel` contract as any engine, so tasks, the worker and the pages run it like a single
 * file. Inputs are segment 0's, outputs the last segment's (with its CPU tail, e.g. the SSD's
 * post-processing).
 */
import type { SegmentPipeline } from '../../edgetpu/index.ts';
import { readModel } from '../../tflite/index.ts';
import type { LoadedModel, RunResult, TensorArray, TensorInfo } from '../engine.ts';
import { tensorInfo } from '../model-tensors.ts';

/** The engine name segment pipelines report (their segments are composite TPU + CPU models). */
const SEGMENTED_ENGINE = 'edgetpu-pipeline';

function boundary(bytes: Uint8Array, side: 'inputs' | 'outputs'): TensorInfo[] {
  const subgraph = readModel(bytes).subgraphs[0]!;
  return subgraph[side].map((i) => tensorInfo(subgraph.tensors[i]!));
}

export class SegmentedModel implements LoadedModel {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly engine = SEGMENTED_ENGINE;
  /** The TPUs in segment order, once each: `usb:0,usb:1`, or `usb:0` when one TPU runs them in turn. */
  readonly device: string;
  readonly #pipeline: SegmentPipeline;

  /** `first` and `last`: the bytes of segment 0 and of the last segment (for their tensors). */
  constructor(pipeline: SegmentPipeline, first: Uint8Array, last: Uint8Array) {
    this.#pipeline = pipeline;
    this.inputs = boundary(first, 'inputs');
    this.outputs = boundary(last, 'outputs');
    this.device = [...new Set(pipeline.devices)].join(',');
  }

  /** Segment file names in pipeline order, each with the TPU it runs on. */
  get placement(): { segment: string; device: string }[] {
    return this.#pipeline.segments.map((segment, k) => ({ segment, device: this.#pipeline.devices[k]! }));
  }

  /**
   * One input set through every segment. Calls may overlap (a frame path keeping two frames in
   * flight): the push and the pop are both claimed before any await, so each call gets its own
   * result in call order while the next frame already runs on segment 0.
   */
  async run(inputs: readonly TensorArray[]): Promise<RunResult> {
    const start = performance.now();
    const runner = this.#pipeline.runner;
    const pushed = runner.push([...inputs]);
    const popped = runner.pop();
    // A failed push (a stopped pipeline) also fails its pop; only the pop's error is reported.
    pushed.catch(() => undefined);
    const data = await popped;
    return {
      outputs: this.outputs.map((info, i) => ({ ...info, data: data[i]! })),
      engine: this.engine,
      device: this.device,
      ms: performance.now() - start,
    };
  }

  dispose(): void {
    void this.#pipeline.close();
  }
}
