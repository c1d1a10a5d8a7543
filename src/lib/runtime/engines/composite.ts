/**
 * The engine that runs a partitioned model: LiteRT.js segments, Reef kernels and Edge TPU ops in
 * model order, tensors handed from one to the next by index. Without a TPU runner it is Reef's
 * WASM engine; with one it is the composite [CPU ops before] → TPU op → [CPU ops after].
 * A whole-model LiteRT partition loads the original bytes; other LiteRT segments are sub-models cut
 * out by the model writer.
 */
import { ReefError } from '../../errors.ts';
import { narrowArgMaxOutputs, widenArgMaxOutputs } from '../arg-max-narrowing.ts';
import { EDGETPU_CUSTOM_OP, readModel, writeModel, type Model } from '../../tflite/index.ts';
import {
  dtypeOfArray,
  elementCount,
  type Engine,
  type LoadedModel,
  type RunResult,
  type Tensor,
  type TensorArray,
  type TensorInfo,
} from '../engine.ts';
import { REEF_KERNELS, type PreparedKernel, type ReefKernel } from '../kernels/registry.ts';
import type { LiteRtGraph, LiteRtRuntime, LiteRtVariantInfo } from '../litert-runtime.ts';
import { resetVariableTensor, tensorInfo } from '../model-tensors.ts';
import { sliceExtractor } from '../submodel.ts';
import { checkTensorSizes } from '../tensor-limits.ts';
import { hasEdgeTpuOps, partitionModel, type Partition, type Segment } from '../partition.ts';

/** One edgetpu-custom-op, as the TPU engine needs it. */
export interface EdgeTpuOpSpec {
  customOptions: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface PreparedTpuOp {
  /** Outputs in the op's output order. */
  run(inputs: readonly Tensor[]): Promise<TensorArray[]>;
  dispose(): void;
}

/** Runs edgetpu-custom-ops: the Edge TPU driver's engine plugs in here. */
export interface EdgeTpuOpRunner {
  /** e.g. `usb:0`. */
  readonly device: string;
  prepare(op: EdgeTpuOpSpec): Promise<PreparedTpuOp>;
}

/**
 * Cuts ops [first, last] of subgraph 0 into a model of their own whose inputs and outputs are the
 * given tensor indices, in that order (the model writer's slice extraction).
 */
export type SubmodelExtractor = (
  model: Model,
  bytes: Uint8Array,
  first: number,
  last: number,
  inputs: readonly number[],
  outputs: readonly number[],
) => Uint8Array;

export interface LoadOptions {
  /** The CPU version of a compiled model, run when no Edge TPU is available. */
  cpuTwin?: Uint8Array;
}

export interface PartitionedEngineOptions {
  runtime: LiteRtRuntime;
  extract?: SubmodelExtractor;
  tpu?: EdgeTpuOpRunner;
  /** Reef kernels to use; default all. Fewer hands those ops to LiteRT (diagnosis, benchmarks). */
  kernels?: readonly ReefKernel[];
  /** Run INT64 ARG_MAX outputs in LiteRT as INT32 (default); false keeps Reef's kernel (tests, benchmarks). */
  argMaxInLiteRt?: boolean;
}

type Step =
  | { kind: 'litert'; segment: Segment; bytes: Uint8Array; graph: LiteRtGraph | undefined }
  | { kind: 'reef'; segment: Segment; opInputs: number[]; opOutputs: number[]; kernel: PreparedKernel }
  | { kind: 'edgetpu'; segment: Segment; opInputs: number[]; opOutputs: number[]; op: PreparedTpuOp };

/** Reasons `LiteRtGraph.run` refuses inputs before calling into LiteRT. */
const INPUT_CHECKS = new Set(['input-type', 'input-size']);

function litertFailure(error: unknown, what: string): ReefError {
  if (error instanceof ReefError) return error;
  return new ReefError(
    'INTERNAL',
    `litert: ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      reason: 'litert-failed',
    },
  );
}

export class PartitionedEngine implements Engine {
  readonly name: string;
  readonly device: string;
  readonly #runtime: LiteRtRuntime;
  readonly #extract: SubmodelExtractor;
  readonly #tpu: EdgeTpuOpRunner | undefined;
  readonly #kernels: readonly ReefKernel[];
  readonly #argMaxInLiteRt: boolean;

  constructor(options: PartitionedEngineOptions) {
    this.#argMaxInLiteRt = options.argMaxInLiteRt ?? true;
    this.#runtime = options.runtime;
    this.#kernels = options.kernels ?? REEF_KERNELS;
    this.#extract = options.extract ?? sliceExtractor(writeModel);
    this.#tpu = options.tpu;
    this.name = options.tpu ? 'composite' : 'litert-wasm';
    this.device = options.tpu ? options.tpu.device : 'cpu';
  }

  async load(bytes: Uint8Array, options: LoadOptions = {}): Promise<LoadedModel> {
    let model = readModel(bytes);
    if (hasEdgeTpuOps(model) && !this.#tpu) {
      if (!options.cpuTwin) {
        throw new ReefError(
          'FAILED_PRECONDITION',
          `this model is compiled for the Edge TPU: its ${EDGETPU_CUSTOM_OP} runs only on a Coral accelerator. Plug one in, or load the CPU version of the model`,
          { reason: 'needs-accelerator' },
        );
      }
      bytes = options.cpuTwin;
      model = readModel(bytes);
      if (hasEdgeTpuOps(model)) {
        throw new ReefError('INVALID_ARGUMENT', 'the CPU twin is itself compiled for the Edge TPU', {
          reason: 'twin-is-compiled',
        });
      }
    }
    // Before anything allocates: shapes that claim gigabytes, constants their buffers do not hold.
    checkTensorSizes(model);
    const isTwin = bytes === options.cpuTwin;
    // INT64 ARG_MAX outputs run inside LiteRT as INT32 and come back widened (arg-max-narrowing.ts).
    const narrowed = this.#argMaxInLiteRt ? narrowArgMaxOutputs(model) : null;
    if (narrowed) {
      const loaded = await this.#build(
        partitionModel(narrowed.model, this.#kernels),
        writeModel(narrowed.model),
        isTwin,
      );
      return widenArgMaxOutputs(loaded, narrowed.outputPositions);
    }
    const partition = partitionModel(model, this.#kernels);
    return this.#build(partition, bytes, isTwin);
  }

  async #build(partition: Partition, bytes: Uint8Array, isTwin: boolean): Promise<LoadedModel> {
    const { model, subgraph, segments } = partition;
    const steps: Step[] = [];
    const knownInfo = new Map<number, TensorInfo>();
    try {
      for (const segment of segments) {
        if (segment.placement === 'litert') {
          const whole = segments.length === 1;
          const segmentBytes = whole
            ? bytes
            : this.#extract(model, bytes, segment.ops[0]!, segment.ops.at(-1)!, segment.inputs, segment.outputs);
          steps.push({ kind: 'litert', segment, bytes: segmentBytes, graph: undefined });
          continue;
        }
        const opIndex = segment.ops[0]!;
        const op = subgraph.operators[opIndex]!;
        if (segment.placement === 'reef') {
          const placed = partition.ops[opIndex]!;
          const kernel = placed.kernel!.prepare({ model, subgraph, op, name: placed.name });
          kernel.outputs.forEach((info, k) => knownInfo.set(op.outputs[k]!, info));
          steps.push({ kind: 'reef', segment, opInputs: op.inputs, opOutputs: op.outputs, kernel });
          continue;
        }
        const tpu = this.#tpu!;
        const prepared = await tpu.prepare({
          customOptions: op.customOptions ?? new Uint8Array(),
          inputs: op.inputs.map((t) => tensorInfo(subgraph.tensors[t]!)),
          outputs: op.outputs.map((t) => tensorInfo(subgraph.tensors[t]!)),
        });
        steps.push({ kind: 'edgetpu', segment, opInputs: op.inputs, opOutputs: op.outputs, op: prepared });
      }
      // Compile LiteRT segments now, so a model LiteRT rejects fails at load, not at first run.
      for (const step of steps) if (step.kind === 'litert') step.graph = await this.#compile(step);
    } catch (error) {
      for (const step of steps) {
        if (step.kind === 'litert') step.graph?.delete();
        if (step.kind === 'edgetpu') step.op.dispose();
      }
      throw error;
    }

    const inputs = subgraph.inputs.map((t) => tensorInfo(subgraph.tensors[t]!));
    const outputs = subgraph.outputs.map((t) => knownInfo.get(t) ?? tensorInfo(subgraph.tensors[t]!));
    const kinds = new Set(steps.map((s) => s.kind));
    const engine = [
      kinds.has('edgetpu') ? 'edgetpu' : '',
      kinds.has('litert') ? 'litert-wasm' : '',
      kinds.has('reef') ? 'reef' : '',
    ]
      .filter(Boolean)
      .join('+')
      // Never a silent fallback: a result from the CPU twin says so.
      .concat(isTwin ? ' (cpu twin)' : '');
    const cpuToo = kinds.has('litert') || kinds.has('reef');
    const device = kinds.has('edgetpu') ? (cpuToo ? `${this.#tpu!.device}+cpu` : this.#tpu!.device) : 'cpu';
    return new PartitionedModel(this, partition, steps, inputs, outputs, engine, device);
  }

  async #compile(step: Extract<Step, { kind: 'litert' }>): Promise<LiteRtGraph> {
    try {
      // A sliced segment numbers its ops from 0: errors name the op indices of the user's model.
      return await this.#runtime.compile(step.bytes, step.segment.ops);
    } catch (error) {
      this.#runtime.discard();
      throw litertFailure(error, 'loading the model');
    }
  }

  /** Runs one LiteRT step, recompiling when the instance was replaced since; discards it on failure. */
  async runLiteRt(
    step: Extract<Step, { kind: 'litert' }>,
    inputs: readonly TensorArray[],
  ): ReturnType<LiteRtGraph['run']> {
    if (!step.graph || step.graph.generation !== this.#runtime.generation) {
      step.graph = await this.#compile(step);
    }
    try {
      return await step.graph.run(inputs);
    } catch (error) {
      // Inputs refused before LiteRT saw them leave the instance intact; anything else discards it.
      if (error instanceof ReefError && INPUT_CHECKS.has(error.reason ?? '')) throw error;
      this.#runtime.discard();
      step.graph = undefined;
      throw litertFailure(error, 'running the model');
    }
  }

  /** Which LiteRT build runs the CPU parts and with how many threads (loads it if needed). */
  runtimeInfo(): Promise<LiteRtVariantInfo> {
    return this.#runtime.ready();
  }

  dispose(): void {
    this.#runtime.discard();
  }
}

class PartitionedModel implements LoadedModel {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly engine: string;
  readonly device: string;
  readonly #owner: PartitionedEngine;
  readonly #partition: Partition;
  readonly #steps: Step[];
  /**
   * Variable tensors nothing produces (LSTM state into the Edge TPU op): each run starts them reset,
   * as TFLite resets them before an invoke. Found once at load, not on every run.
   */
  readonly #variableTensors: number[];
  /** Per step, what its outputs are (LiteRT steps), so a run does not rebuild it from the model. */
  readonly #stepOutputs: TensorInfo[][];
  /** The model is one LiteRT graph: its inputs and outputs are the graph's, in order. */
  readonly #whole: Extract<Step, { kind: 'litert' }> | undefined;

  constructor(
    owner: PartitionedEngine,
    partition: Partition,
    steps: Step[],
    inputs: TensorInfo[],
    outputs: TensorInfo[],
    engine: string,
    device: string,
  ) {
    this.#owner = owner;
    this.#partition = partition;
    this.#steps = steps;
    const { tensors, inputs: graphInputs } = partition.subgraph;
    this.#variableTensors = tensors.flatMap((tensor, t) => (tensor.isVariable && !graphInputs.includes(t) ? [t] : []));
    this.#stepOutputs = steps.map((step) =>
      step.kind === 'litert' ? step.segment.outputs.map((t) => tensorInfo(tensors[t]!)) : [],
    );
    const only = steps.length === 1 ? steps[0] : undefined;
    this.#whole = only?.kind === 'litert' && this.#variableTensors.length === 0 ? only : undefined;
    this.inputs = inputs;
    this.outputs = outputs;
    this.engine = engine;
    this.device = device;
  }

  #checkInputs(inputs: readonly TensorArray[]): void {
    if (inputs.length !== this.inputs.length) {
      throw new ReefError('INVALID_ARGUMENT', `model takes ${this.inputs.length} inputs, got ${inputs.length}`, {
        reason: 'input-count',
      });
    }
    inputs.forEach((data, i) => {
      const info = this.inputs[i]!;
      const n = elementCount(info.shape);
      const dtype = dtypeOfArray(data);
      if (data.length !== n || (dtype !== info.dtype && !(info.dtype === 'bool' && dtype === 'uint8'))) {
        throw new ReefError(
          'INVALID_ARGUMENT',
          `input ${i} '${info.name}' is ${info.dtype}[${info.shape.join(',')}] (${n} values), got ${dtype} with ${data.length}`,
          { reason: 'input-shape' },
        );
      }
    });
  }

  async run(inputs: readonly TensorArray[]): Promise<RunResult> {
    const start = performance.now();
    this.#checkInputs(inputs);
    const outputs = this.#whole ? await this.#runWhole(this.#whole, inputs) : await this.#runSteps(inputs);
    return { outputs, engine: this.engine, device: this.device, ms: performance.now() - start };
  }

  /** The common case, one LiteRT graph: its outputs are the model's, with no tensor bookkeeping. */
  async #runWhole(step: Extract<Step, { kind: 'litert' }>, inputs: readonly TensorArray[]): Promise<Tensor[]> {
    const outs = await this.#owner.runLiteRt(step, inputs);
    return outs.map((out, i) => ({ ...this.outputs[i]!, data: out.data, shape: out.shape }));
  }

  /** Steps in model order, tensors handed from one to the next by index. */
  async #runSteps(inputs: readonly TensorArray[]): Promise<Tensor[]> {
    const { subgraph } = this.#partition;
    const values = new Map<number, Tensor>();
    subgraph.inputs.forEach((t, i) => values.set(t, { ...this.inputs[i]!, data: inputs[i]! }));
    for (const t of this.#variableTensors) values.set(t, resetVariableTensor(subgraph.tensors[t]!));
    const need = (t: number): Tensor => {
      const v = values.get(t);
      if (!v) throw new ReefError('INTERNAL', `tensor ${t} has no value yet`, { reason: 'plan-order' });
      return v;
    };
    for (const [s, step] of this.#steps.entries()) {
      if (step.kind === 'litert') {
        const outs = await this.#owner.runLiteRt(
          step,
          step.segment.inputs.map((t) => need(t).data),
        );
        const infos = this.#stepOutputs[s]!;
        step.segment.outputs.forEach((t, k) => {
          const out = outs[k]!;
          values.set(t, { ...infos[k]!, shape: out.shape, dtype: out.dtype, data: out.data });
        });
      } else if (step.kind === 'reef') {
        const outs = step.kernel.run(step.opInputs.map((t) => (t >= 0 ? values.get(t) : undefined)));
        step.opOutputs.forEach((t, k) => values.set(t, outs[k]!));
      } else {
        const opInputs = step.opInputs.map(need);
        const outs = await step.op.run(opInputs);
        step.opOutputs.forEach((t, k) => values.set(t, { ...tensorInfo(subgraph.tensors[t]!), data: outs[k]! }));
      }
    }
    return subgraph.outputs.map((t, i) => ({ ...this.outputs[i]!, ...pick(need(t)) }));
  }

  dispose(): void {
    for (const step of this.#steps) {
      if (step.kind === 'litert') step.graph?.delete();
      if (step.kind === 'edgetpu') step.op.dispose();
    }
  }
}

function pick(t: Tensor): Pick<Tensor, 'data' | 'shape'> {
  return { data: t.data, shape: t.shape };
}
