/**
 * Reef kernels: ops LiteRT.js lacks or cannot hand back, run in TypeScript. Each entry says which
 * ops it takes (by builtin name or custom code, plus a predicate), what its outputs look like
 * (filling shapes the file leaves empty) and how to run it on the op's input tensors.
 */
import { ReefError } from '../../errors.ts';
import type { Model, Operator, Subgraph } from '../../tflite/index.ts';
import { dequantize, type Tensor, type TensorInfo } from '../engine.ts';
import { constantTensor, dequantizeConstant, tensorInfo } from '../model-tensors.ts';
import { argMax } from './arg-max.ts';
import {
  detectionPostProcess,
  detectionRows,
  parseDetectionPostProcessOptions,
  type DetectionPostProcessOptions,
} from './detection-postprocess.ts';
import { lstmSequence, type LstmWeights } from './lstm.ts';
import { NUM_KEYPOINTS, parsePosenetDecoderOptions, posenetDecode } from './posenet-decoder.ts';

/** One op in its model, as a kernel sees it. */
export interface KernelOp {
  model: Model;
  subgraph: Subgraph;
  op: Operator;
  /** Builtin op name (`ARG_MAX`) or the custom code (`TFLite_Detection_PostProcess`). */
  name: string;
}

/** A kernel prepared for one op: options parsed and constants read once at load. */
export interface PreparedKernel {
  readonly name: string;
  readonly outputs: TensorInfo[];
  /** Inputs in op order; `undefined` for omitted optional inputs and for constants (read at load). */
  run(inputs: readonly (Tensor | undefined)[]): Tensor[];
}

export interface ReefKernel {
  readonly name: string;
  /** Why LiteRT does not run it, shown by `reef inspect`/errors. */
  readonly reason: string;
  matches(op: KernelOp): boolean;
  prepare(op: KernelOp): PreparedKernel;
}

function info(op: KernelOp, i: number): TensorInfo {
  return tensorInfo(op.subgraph.tensors[i]!);
}

function valueOf(inputs: readonly (Tensor | undefined)[], op: KernelOp, position: number): Tensor {
  const index = op.op.inputs[position]!;
  const tensor = inputs[position] ?? constantTensor(op.model, op.subgraph, index);
  if (!tensor) {
    throw new ReefError('INTERNAL', `${op.name}: input ${position} (tensor ${index}) has no value`, {
      reason: 'missing-input',
    });
  }
  return tensor;
}

const detectionPostProcessKernel: ReefKernel = {
  name: 'TFLite_Detection_PostProcess',
  reason: 'LiteRT.js cannot return its outputs (shapes are set at run time) and its heap is corrupted afterwards',
  matches: (op) => op.name === 'TFLite_Detection_PostProcess',
  prepare(op) {
    if (!op.op.customOptions) {
      throw new ReefError('INVALID_ARGUMENT', 'TFLite_Detection_PostProcess: no custom options', {
        reason: 'bad-custom-options',
      });
    }
    const options: DetectionPostProcessOptions = parseDetectionPostProcessOptions(op.op.customOptions);
    const rows = detectionRows(options);
    const names = op.op.outputs.map((i) => op.subgraph.tensors[i]?.name ?? `output ${i}`);
    const outputs: TensorInfo[] = [
      { name: names[0]!, dtype: 'float32', shape: [1, rows, 4], scale: 0, zeroPoint: 0 },
      { name: names[1]!, dtype: 'float32', shape: [1, rows], scale: 0, zeroPoint: 0 },
      { name: names[2]!, dtype: 'float32', shape: [1, rows], scale: 0, zeroPoint: 0 },
      { name: names[3]!, dtype: 'float32', shape: [1], scale: 0, zeroPoint: 0 },
    ];
    const anchorsIndex = op.op.inputs[2]!;
    const constantAnchors = dequantizeConstant(op.model, op.subgraph, anchorsIndex);
    return {
      name: this.name,
      outputs,
      run(inputs) {
        const boxes = valueOf(inputs, op, 0);
        const scores = valueOf(inputs, op, 1);
        const anchors = constantAnchors ?? dequantize(valueOf(inputs, op, 2));
        const numAnchors = anchors.length / 4;
        const result = detectionPostProcess(
          {
            boxEncodings: dequantize(boxes),
            classScores: dequantize(scores),
            anchors,
            numAnchors,
            scoreColumns: scores.data.length / numAnchors,
          },
          options,
        );
        return [
          { ...outputs[0]!, data: result.boxes },
          { ...outputs[1]!, data: result.classes },
          { ...outputs[2]!, data: result.scores },
          { ...outputs[3]!, data: result.count },
        ];
      },
    };
  },
};

const argMaxInt64Kernel: ReefKernel = {
  name: 'ARG_MAX',
  reason: "LiteRT.js's public API has no INT64 tensors (DeepLab's class map)",
  matches: (op) => op.name === 'ARG_MAX' && op.subgraph.tensors[op.op.outputs[0]!]?.dtype === 'int64',
  prepare(op) {
    const axisTensor = constantTensor(op.model, op.subgraph, op.op.inputs[1]!);
    const output = info(op, op.op.outputs[0]!);
    const input = info(op, op.op.inputs[0]!);
    const axis = axisTensor ? Number(axisTensor.data[0]) : input.shape.length - 1;
    return {
      name: this.name,
      outputs: [output],
      run(inputs) {
        const x = valueOf(inputs, op, 0);
        if (x.data instanceof BigInt64Array) {
          throw new ReefError('UNIMPLEMENTED', 'ARG_MAX: int64 input', { reason: 'unsupported-type' });
        }
        return [{ ...output, data: argMax(x.data, x.shape, axis, 'int64') }];
      },
    };
  },
};

const posenetDecoderKernel: ReefKernel = {
  name: 'PosenetDecoderOp',
  reason: "Coral's custom op; not part of LiteRT",
  matches: (op) => op.name === 'PosenetDecoderOp',
  prepare(op) {
    if (!op.op.customOptions) {
      throw new ReefError('INVALID_ARGUMENT', 'PosenetDecoderOp: no custom options', { reason: 'bad-custom-options' });
    }
    const options = parsePosenetDecoderOptions(op.op.customOptions);
    const names = op.op.outputs.map((i) => op.subgraph.tensors[i]?.name ?? `output ${i}`);
    const n = options.maxDetections;
    const outputs: TensorInfo[] = [
      { name: names[0]!, dtype: 'float32', shape: [1, n, NUM_KEYPOINTS, 2], scale: 0, zeroPoint: 0 },
      { name: names[1]!, dtype: 'float32', shape: [1, n, NUM_KEYPOINTS], scale: 0, zeroPoint: 0 },
      { name: names[2]!, dtype: 'float32', shape: [1, n], scale: 0, zeroPoint: 0 },
      { name: names[3]!, dtype: 'float32', shape: [1], scale: 0, zeroPoint: 0 },
    ];
    return {
      name: this.name,
      outputs,
      run(inputs) {
        const heatmaps = valueOf(inputs, op, 0);
        const shorts = dequantize(valueOf(inputs, op, 1));
        const mids = dequantize(valueOf(inputs, op, 2));
        const result = posenetDecode(
          {
            heatmaps: dequantize(heatmaps),
            shortOffsets: shorts,
            midOffsets: mids,
            height: heatmaps.shape[1]!,
            width: heatmaps.shape[2]!,
          },
          options,
        );
        return [
          { ...outputs[0]!, data: result.keypoints },
          { ...outputs[1]!, data: result.keypointScores },
          { ...outputs[2]!, data: result.poseScores },
          { ...outputs[3]!, data: result.count },
        ];
      },
    };
  },
};

// TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM input positions.
const LSTM_INPUT_WEIGHTS = [1, 2, 3, 4];
const LSTM_RECURRENT_WEIGHTS = [5, 6, 7, 8];
const LSTM_BIASES = [12, 13, 14, 15];
const LSTM_PEEPHOLES = [9, 10, 11];
const LSTM_PROJECTION = [16, 17];
const LSTM_LAYER_NORM = [20, 21, 22, 23];

const lstmKernel: ReefKernel = {
  name: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  reason: 'LiteRT.js does not load models with variable tensors (LSTM state)',
  matches: (op) =>
    op.name === 'UNIDIRECTIONAL_SEQUENCE_LSTM' &&
    op.op.inputs.some((i) => i >= 0 && op.subgraph.tensors[i]?.isVariable === true),
  prepare(op) {
    const present = (positions: number[]): number[] => positions.filter((p) => (op.op.inputs[p] ?? -1) >= 0);
    const unsupported = [...present(LSTM_PEEPHOLES), ...present(LSTM_PROJECTION), ...present(LSTM_LAYER_NORM)];
    if (unsupported.length > 0) {
      throw new ReefError(
        'UNIMPLEMENTED',
        `UNIDIRECTIONAL_SEQUENCE_LSTM: peephole, projection and layer-norm inputs (${unsupported.join(', ')}) are not supported`,
        { reason: 'unsupported-op-variant' },
      );
    }
    const weight = (position: number): Float32Array | undefined => {
      const index = op.op.inputs[position] ?? -1;
      return index >= 0 ? dequantizeConstant(op.model, op.subgraph, index) : undefined;
    };
    const forgetWeights = op.subgraph.tensors[op.op.inputs[2]!]!;
    const [units, features] = forgetWeights.shape as [number, number];
    const options = op.op.builtinOptions ?? { kind: 'UnidirectionalSequenceLSTMOptions' };
    const weights: LstmWeights = {
      inputWeights: LSTM_INPUT_WEIGHTS.map(weight),
      recurrentWeights: LSTM_RECURRENT_WEIGHTS.map(weight),
      biases: LSTM_BIASES.map(weight),
      units,
      features,
      cellClip: typeof options['cellClip'] === 'number' ? options['cellClip'] : 0,
      activation: (options['fusedActivationFunction'] as LstmWeights['activation'] | undefined) ?? 'TANH',
    };
    const timeMajor = options['timeMajor'] === true;
    const output = info(op, op.op.outputs[0]!);
    return {
      name: this.name,
      outputs: [output],
      run(inputs) {
        const x = valueOf(inputs, op, 0);
        const hidden = lstmSequence(dequantize(x), x.shape, timeMajor, weights);
        return [{ ...output, data: quantizeTo(hidden, output) }];
      },
    };
  },
};

/** Float values → the tensor's element type (quantized when it has a scale). */
export function quantizeTo(values: Float32Array, target: TensorInfo): Tensor['data'] {
  switch (target.dtype) {
    case 'float32':
      return values;
    case 'int8':
    case 'uint8':
    case 'int16': {
      const [lo, hi, out] =
        target.dtype === 'int8'
          ? [-128, 127, new Int8Array(values.length)]
          : target.dtype === 'uint8'
            ? [0, 255, new Uint8Array(values.length)]
            : [-32768, 32767, new Int16Array(values.length)];
      const scale = target.scale || 1;
      for (let i = 0; i < values.length; i++) {
        out[i] = Math.min(hi, Math.max(lo, Math.round(values[i]! / scale + target.zeroPoint)));
      }
      return out;
    }
    default:
      throw new ReefError('UNIMPLEMENTED', `cannot produce ${target.dtype} tensor ${target.name}`, {
        reason: 'unsupported-type',
      });
  }
}

/** Every Reef kernel, most specific first. */
export const REEF_KERNELS: readonly ReefKernel[] = [
  detectionPostProcessKernel,
  argMaxInt64Kernel,
  posenetDecoderKernel,
  lstmKernel,
];
