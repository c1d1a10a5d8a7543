/**
 * The Edge TPU side of the composite engine: runs one `edgetpu-custom-op` on an opened Edge TPU.
 * It satisfies the runtime's `EdgeTpuOpRunner` structurally (the runtime sits above this layer and
 * is not imported here): `new PartitionedEngine({ runtime, tpu: createEdgeTpuOpRunner(tpu) })`
 * runs any compiled model end to end, CPU ops before/after the TPU op included.
 */
import { ReefError } from '../../errors.ts';
import type { EdgeTpu, EdgeTpuModel } from '../driver/edge-tpu.ts';
import { readEdgeTpuCustomOptions, readEdgeTpuPackage } from '../executable/index.ts';
import { programFromPackage } from '../program/program-from-model.ts';
import type { TpuProgram } from '../program/tpu-program.ts';

/** The fields of the runtime's TensorInfo the runner reads. */
export interface TpuOpTensorInfo {
  name: string;
  dtype: string;
  shape: number[];
}

export interface TpuOpSpec {
  customOptions: Uint8Array;
  inputs: TpuOpTensorInfo[];
  outputs: TpuOpTensorInfo[];
}

export type TpuOpArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array;

/** What preparing a TPU op needs of a loaded model: a driver model, or a device pool's placed one. */
export interface TpuOpModel {
  readonly inputs: readonly unknown[];
  readonly outputs: readonly unknown[];
  /** Stateful inputs (§4.9) → the index of their `_variable_output`. */
  readonly variables: ReadonlyMap<number, number>;
  resetState(): void;
  run(inputs: readonly ArrayBufferView[]): Promise<readonly { data: ArrayBufferView }[]>;
  dispose(): void;
}

export interface PreparedTpuOp<M extends TpuOpModel> {
  readonly model: M;
  run(inputs: readonly { data: ArrayBufferView }[]): Promise<TpuOpArray[]>;
  dispose(): void;
}

export type PreparedEdgeTpuOp = PreparedTpuOp<EdgeTpuModel>;

export interface EdgeTpuOpRunnerImpl {
  readonly device: string;
  readonly tpu: EdgeTpu;
  prepare(op: TpuOpSpec): Promise<PreparedEdgeTpuOp>;
}

/** The driver's output bytes as the element type the graph gives that tensor. */
function asTensorArray(view: ArrayBufferView, dtype: string): TpuOpArray {
  const { buffer, byteOffset, byteLength } = view;
  switch (dtype) {
    case 'int8':
      return new Int8Array(buffer, byteOffset, byteLength);
    case 'int16':
      return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 'int32':
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'float32':
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    default:
      return new Uint8Array(buffer, byteOffset, byteLength);
  }
}

/**
 * Loads one `edgetpu-custom-op` with `load` (on a TPU of its own, or placed by a device pool) and
 * wraps it for the composite engine: op inputs and outputs mapped to the executable's layers.
 */
export async function prepareTpuOp<M extends TpuOpModel>(
  op: { customOptions: Uint8Array; inputs: readonly unknown[]; outputs: readonly { dtype: string }[] },
  load: (program: TpuProgram) => Promise<M>,
): Promise<PreparedTpuOp<M>> {
  const options = readEdgeTpuCustomOptions(op.customOptions);
  const model = await load(programFromPackage(readEdgeTpuPackage(options.packageBytes)));
  // Stateful layers (§4.9: LSTM state) are op inputs in TFLite but have no op output: their
  // `_variable_output` is written back by the driver model, not handed to the graph.
  const written = new Set(model.variables.values());
  const outputIndices = model.outputs.flatMap((_, i) => (written.has(i) ? [] : [i]));
  if (model.inputs.length !== op.inputs.length || outputIndices.length !== op.outputs.length) {
    model.dispose();
    throw new ReefError(
      'INVALID_ARGUMENT',
      `the Edge TPU op has ${op.inputs.length} inputs / ${op.outputs.length} outputs, its executable ${model.inputs.length} / ${outputIndices.length}`,
      { reason: 'op-io-mismatch' },
    );
  }
  return {
    model,
    async run(inputs) {
      // One invoke = one sequence (the runtime's CPU LSTM kernel starts from zero state too).
      model.resetState();
      const given = inputs.filter((_, i) => !model.variables.has(i)).map((t) => t.data);
      const outputs = await model.run(given);
      return outputIndices.map((o, i) => asTensorArray(outputs[o]!.data, op.outputs[i]!.dtype));
    },
    dispose: () => model.dispose(),
  };
}

export function createEdgeTpuOpRunner(tpu: EdgeTpu, device: string = tpu.options.label): EdgeTpuOpRunnerImpl {
  return { device, tpu, prepare: (op) => prepareTpuOp(op, (program) => tpu.load(program)) };
}
