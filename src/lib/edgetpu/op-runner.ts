/**
 * The Edge TPU side of the composite engine: runs one `edgetpu-custom-op` on an opened Edge TPU.
 * It satisfies the runtime's `EdgeTpuOpRunner` structurally (the runtime sits above this layer and
 * is not imported here): `new PartitionedEngine({ runtime, tpu: createEdgeTpuOpRunner(tpu) })`
 * runs any compiled model end to end, CPU ops before/after the TPU op included.
 */
import { ReefError } from '../errors.ts';
import type { EdgeTpu, EdgeTpuModel } from './driver.ts';
import { readEdgeTpuCustomOptions, readEdgeTpuPackage } from './executable/index.ts';
import { programFromPackage } from './program-adapter.ts';

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

export interface PreparedEdgeTpuOp {
  readonly model: EdgeTpuModel;
  run(inputs: readonly { data: ArrayBufferView }[]): Promise<TpuOpArray[]>;
  dispose(): void;
}

export interface EdgeTpuOpRunnerImpl {
  readonly device: string;
  readonly tpu: EdgeTpu;
  prepare(op: TpuOpSpec): Promise<PreparedEdgeTpuOp>;
}

function asTensorArray(bytes: Uint8Array, dtype: string): TpuOpArray {
  const { buffer, byteOffset, byteLength } = bytes;
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
      return bytes;
  }
}

export function createEdgeTpuOpRunner(tpu: EdgeTpu, device: string = tpu.options.label): EdgeTpuOpRunnerImpl {
  return {
    device,
    tpu,
    async prepare(op) {
      const options = readEdgeTpuCustomOptions(op.customOptions);
      const program = programFromPackage(readEdgeTpuPackage(options.packageBytes));
      const model = await tpu.load(program);
      // Stateful layers (§4.9: LSTM state) are op inputs in TFLite but have no op output: their
      // `_variable_output` is written back by the driver model, not handed to the graph.
      const outputIndices = model.outputs.flatMap((o, i) => (model.userOutputs.includes(o) ? [i] : []));
      if (model.inputs.length !== op.inputs.length || outputIndices.length !== op.outputs.length) {
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
          return outputIndices.map((o, i) => {
            const out = outputs[o]!;
            const bytes = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
            return asTensorArray(bytes, op.outputs[i]!.dtype);
          });
        },
        dispose: () => model.dispose(),
      };
    },
  };
}
