/**
 * Full-integer post-training quantization of a tfjs LayersModel to a TFLite model the Edge TPU
 * compiler accepts: int8 weights (per-channel for convolutions, per-tensor for Dense), int32
 * biases, int8 activations calibrated on representative inputs (min/max or a percentile), and
 * uint8 or int8 model I/O with QUANTIZE only at the edges — or float32 I/O (QUANTIZE in,
 * DEQUANTIZE out) for a CPU model that takes and gives what the float model did.
 */
import { ReefError } from '../../errors.ts';
import { bytesOf, type ModelSpec, type SpecOp, type SpecTensor } from '../model-spec.ts';
import {
  chooseActivationParams,
  convertParams,
  percentileRange,
  quantizeBias,
  quantizeWeightsSymmetric,
  type QuantDType,
  type QuantParams,
} from '../quant.ts';
import { tf } from '../tfjs.ts';
import { buildLayerGraph, runGraph, type GraphNode, type LayerGraph } from './graph.ts';

export type Calibration = 'minmax' | { percentile: number };

/**
 * Element type of the model's input and output: uint8 (Coral's tools) or int8 keep the model
 * integer end to end, as the Edge TPU needs; float32 is for the CPU (the Edge TPU compiler would
 * leave the float edges on the CPU).
 */
export type PtqIo = QuantDType | 'float32';

export interface PtqOptions {
  /** Element type of the model's input and output (default uint8). */
  io?: PtqIo;
  /** How activation ranges are chosen (default min/max; the input always uses min/max). */
  calibration?: Calibration;
  /** Inputs per calibration batch. */
  batchSize?: number;
  /**
   * Real range of the input instead of the calibrated one: [0, 1] for images divided by 255
   * makes the uint8 input exactly the pixel bytes (scale 1/255, zero point 0).
   */
  inputRange?: { min: number; max: number };
  description?: string;
}

export interface PtqReport {
  ops: Record<string, number>;
  folded: string[];
  calibrationSamples: number;
  /** Largest |tfjs − folded graph| on the calibration set (folding check, float). */
  foldingError: number;
}

export interface PtqResult {
  spec: ModelSpec;
  report: PtqReport;
}

type Range = { min: number; max: number };

/** Values kept per tensor for percentile calibration. */
const PERCENTILE_SAMPLES = 1 << 20;

/** Per-tensor float ranges over the representative inputs (N×H×W×C). */
export function calibrate(
  model: tf.LayersModel,
  graph: LayerGraph,
  representative: tf.Tensor,
  calibration: Calibration,
  batchSize: number,
): { ranges: Map<number, Range>; foldingError: number } {
  const n = representative.shape[0]!;
  if (!n)
    throw new ReefError('INVALID_ARGUMENT', 'calibration needs at least one representative input', {
      reason: 'no-calibration-data',
    });
  const ranges = new Map<number, Range>();
  const samples = new Map<number, Float32Array[]>();
  let foldingError = 0;
  for (let start = 0; start < n; start += batchSize) {
    tf.tidy(() => {
      const size = Math.min(batchSize, n - start);
      const batch = representative.slice(start, size);
      const values = runGraph(graph, batch);
      for (const [id, t] of values) {
        const data = t.dataSync() as Float32Array;
        let min = Infinity;
        let max = -Infinity;
        for (const v of data) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const r = ranges.get(id);
        ranges.set(id, r ? { min: Math.min(r.min, min), max: Math.max(r.max, max) } : { min, max });
        if (calibration !== 'minmax') {
          // Percentiles from a strided sample: big activations over many inputs stay in memory bounds.
          const stride = Math.max(1, Math.ceil((data.length * n) / size / PERCENTILE_SAMPLES));
          const picked = new Float32Array(Math.ceil(data.length / stride));
          for (let i = 0, j = 0; i < data.length; i += stride, j++) picked[j] = data[i]!;
          samples.set(id, [...(samples.get(id) ?? []), picked]);
        }
      }
      const expected = model.predict(batch) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(expected) ? expected : [expected];
      list.forEach((e, i) => {
        const diff = tf.max(tf.abs(tf.sub(e, values.get(graph.outputs[i]!)!))).dataSync()[0]!;
        foldingError = Math.max(foldingError, diff);
      });
    });
  }
  if (calibration !== 'minmax') {
    for (const [id, chunks] of samples) {
      if (id === graph.input) continue;
      const all = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
      let offset = 0;
      for (const c of chunks) {
        all.set(c, offset);
        offset += c.length;
      }
      ranges.set(id, percentileRange(all, calibration.percentile));
    }
  }
  return { ranges, foldingError };
}

/** Tensors whose kernels require identical quantization on input and output. */
function sameParamGroups(graph: LayerGraph): Map<number, number> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  const union = (a: number, b: number) => parent.set(find(a), find(b));
  for (const node of graph.nodes) {
    if (node.kind === 'maxpool' || node.kind === 'avgpool' || node.kind === 'reshape')
      union(node.inputs[0]!, node.output);
    if (node.kind === 'concat') for (const i of node.inputs) union(i, node.output);
  }
  const root = new Map<number, number>();
  for (const id of [graph.input, ...graph.nodes.map((n) => n.output)]) root.set(id, find(id));
  return root;
}

function transposeKernel(kernel: Float32Array, shape: readonly number[], order: readonly number[]): Float32Array {
  const outShape = order.map((o) => shape[o]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(kernel.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < order.length; d++) src += idx[d]! * strides[order[d]!]!;
    out[o] = kernel[src]!;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const SOFTMAX_INT8: QuantParams = { scale: 1 / 256, zeroPoint: -128 };

export function quantizeLayersModel(
  model: tf.LayersModel,
  representative: tf.Tensor,
  options: PtqOptions = {},
): PtqResult {
  const { specs, report } = quantizeLayersModelAs(model, representative, [options.io ?? 'uint8'], options);
  return { spec: specs[0]!, report };
}

/**
 * One calibration, one spec per I/O type in `ios` (same activation and weight parameters inside):
 * e.g. the Edge TPU's uint8-I/O model and a float-I/O CPU model from the same quantization.
 * `options.io` is ignored; the report's op counts are those of the first spec.
 */
export function quantizeLayersModelAs(
  model: tf.LayersModel,
  representative: tf.Tensor,
  ios: readonly PtqIo[],
  options: PtqOptions = {},
): { specs: ModelSpec[]; report: PtqReport } {
  const graph = buildLayerGraph(model);
  const inputShape = graph.shapes.get(graph.input)!;
  if (representative.shape.slice(1).join() !== inputShape.slice(1).join())
    throw new ReefError(
      'INVALID_ARGUMENT',
      `representative inputs are ${representative.shape.join('×')} but the model takes ${inputShape.join('×')}`,
      { reason: 'calibration-shape-mismatch' },
    );
  const calibration = options.calibration ?? 'minmax';
  const { ranges, foldingError } = calibrate(model, graph, representative, calibration, options.batchSize ?? 32);
  if (options.inputRange) ranges.set(graph.input, options.inputRange);

  // Parameters per tensor: fixed for softmax outputs, shared inside same-parameter groups.
  const groups = sameParamGroups(graph);
  const groupRange = new Map<number, Range>();
  for (const [id, root] of groups) {
    const r = ranges.get(id);
    if (!r) continue;
    const g = groupRange.get(root);
    groupRange.set(root, g ? { min: Math.min(g.min, r.min), max: Math.max(g.max, r.max) } : r);
  }
  const softmaxOutputs = new Set(graph.nodes.filter((n) => n.kind === 'softmax').map((n) => n.output));
  const params = new Map<number, QuantParams>();
  for (const [id, root] of groups) {
    if (softmaxOutputs.has(id)) params.set(id, SOFTMAX_INT8);
    else {
      const r = groupRange.get(root)!;
      params.set(id, chooseActivationParams(r.min, r.max, 'int8'));
    }
  }

  const specFor = (io: PtqIo): ModelSpec => {
    const tensors: SpecTensor[] = [];
    const operators: SpecOp[] = [];
    const index = new Map<number, number>();
    const activation = (id: number, name: string, dtype: QuantDType = 'int8', p = params.get(id)!) =>
      tensors.push({
        name,
        dtype,
        shape: graph.shapes.get(id)!,
        quant: { scale: [p.scale], zeroPoint: [p.zeroPoint], quantizedDimension: 0 },
      }) - 1;
    const constant = (name: string, t: Omit<SpecTensor, 'name'>) => tensors.push({ name, ...t }) - 1;
    const nameOf = (node: GraphNode) => node.layers[node.layers.length - 1]!;

    // Model input, with a QUANTIZE edge op when the outside world speaks uint8 or float.
    const inParams = params.get(graph.input)!;
    const modelInputs: number[] = [];
    if (io === 'float32') {
      const outside = tensors.push({ name: 'input', dtype: 'float32', shape: graph.shapes.get(graph.input)! }) - 1;
      const inside = activation(graph.input, 'input_int8');
      operators.push({ op: 'QUANTIZE', inputs: [outside], outputs: [inside] });
      modelInputs.push(outside);
      index.set(graph.input, inside);
    } else if (io === 'uint8') {
      const outside = activation(graph.input, 'input', 'uint8', convertParams(inParams, 'int8', 'uint8'));
      const inside = activation(graph.input, 'input_int8');
      operators.push({ op: 'QUANTIZE', inputs: [outside], outputs: [inside] });
      modelInputs.push(outside);
      index.set(graph.input, inside);
    } else {
      modelInputs.push(activation(graph.input, 'input'));
      index.set(graph.input, modelInputs[0]!);
    }

    for (const node of graph.nodes) {
      const name = nameOf(node);
      const ins = node.inputs.map((i) => index.get(i)!);
      const out = activation(node.output, name);
      index.set(node.output, out);
      const inScale = params.get(node.inputs[0]!)!.scale;
      switch (node.kind) {
        case 'conv':
        case 'depthwise':
        case 'dense': {
          const ks = node.kernelShape!;
          let weights: Float32Array;
          let shape: number[];
          let axis: number | undefined;
          if (node.kind === 'conv') {
            // tfjs [kh, kw, in, out] → TFLite [out, kh, kw, in], one scale per output channel.
            weights = transposeKernel(node.kernel!, ks, [3, 0, 1, 2]);
            shape = [ks[3]!, ks[0]!, ks[1]!, ks[2]!];
            axis = 0;
          } else if (node.kind === 'depthwise') {
            // tfjs [kh, kw, in, mult] is already TFLite's [1, kh, kw, in × mult] in memory.
            weights = node.kernel!;
            shape = [1, ks[0]!, ks[1]!, ks[2]! * ks[3]!];
            axis = 3;
          } else {
            // Dense [in, out] → [out, in]; per-tensor, which every Edge TPU compiler version maps.
            weights = transposeKernel(node.kernel!, ks, [1, 0]);
            shape = [ks[1]!, ks[0]!];
            axis = undefined;
          }
          const q = quantizeWeightsSymmetric(weights, shape, axis);
          const w = constant(`${node.layers[0]}/weights`, {
            dtype: 'int8',
            shape,
            data: bytesOf(q.data),
            quant: { scale: q.scales, zeroPoint: q.zeroPoints, quantizedDimension: axis ?? 0 },
          });
          const biasScales = q.scales.map((s) => s * inScale);
          const b = constant(`${node.layers[0]}/bias`, {
            dtype: 'int32',
            shape: [node.bias!.length],
            data: bytesOf(quantizeBias(node.bias!, inScale, q.scales)),
            quant: { scale: biasScales, zeroPoint: biasScales.map(() => 0), quantizedDimension: 0 },
          });
          const common = { inputs: [ins[0]!, w, b], outputs: [out], activation: node.activation };
          if (node.kind === 'dense') operators.push({ op: 'FULLY_CONNECTED', ...common });
          else {
            const conv = {
              ...common,
              padding: node.padding!,
              strideH: node.strides![0],
              strideW: node.strides![1],
              dilationH: node.dilation![0],
              dilationW: node.dilation![1],
            };
            operators.push(
              node.kind === 'conv'
                ? { op: 'CONV_2D', ...conv }
                : { op: 'DEPTHWISE_CONV_2D', ...conv, depthMultiplier: node.depthMultiplier! },
            );
          }
          break;
        }
        case 'maxpool':
        case 'avgpool':
          operators.push({
            op: node.kind === 'maxpool' ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D',
            inputs: ins,
            outputs: [out],
            padding: node.padding!,
            strideH: node.strides![0],
            strideW: node.strides![1],
            filterH: node.poolSize![0],
            filterW: node.poolSize![1],
          });
          break;
        case 'mean': {
          const axes = constant(`${name}/axes`, { dtype: 'int32', shape: [2], data: bytesOf(new Int32Array([1, 2])) });
          operators.push({ op: 'MEAN', inputs: [ins[0]!, axes], outputs: [out], keepDims: false });
          break;
        }
        case 'add':
          operators.push({ op: 'ADD', inputs: ins, outputs: [out], activation: node.activation });
          break;
        case 'concat':
          operators.push({ op: 'CONCATENATION', inputs: ins, outputs: [out], axis: node.axis! });
          break;
        case 'reshape': {
          const newShape = [1, ...node.targetShape!];
          const shapeTensor = constant(`${name}/shape`, {
            dtype: 'int32',
            shape: [newShape.length],
            data: bytesOf(Int32Array.from(newShape)),
          });
          operators.push({ op: 'RESHAPE', inputs: [ins[0]!, shapeTensor], outputs: [out], newShape });
          break;
        }
        case 'softmax':
          operators.push({ op: 'SOFTMAX', inputs: ins, outputs: [out], beta: 1 });
          break;
        case 'relu':
        case 'relu6':
          operators.push({ op: node.kind === 'relu' ? 'RELU' : 'RELU6', inputs: ins, outputs: [out] });
          break;
      }
    }

    const modelOutputs = graph.outputs.map((id, i) => {
      const inside = index.get(id)!;
      if (io === 'int8') return inside;
      if (io === 'float32') {
        const outside = tensors.push({ name: `output_${i}`, dtype: 'float32', shape: graph.shapes.get(id)! }) - 1;
        operators.push({ op: 'DEQUANTIZE', inputs: [inside], outputs: [outside] });
        return outside;
      }
      const outside = activation(id, `output_${i}`, 'uint8', convertParams(params.get(id)!, 'int8', 'uint8'));
      operators.push({ op: 'QUANTIZE', inputs: [inside], outputs: [outside] });
      return outside;
    });

    return {
      description: options.description ?? 'Reef full-integer post-training quantization',
      tensors,
      operators,
      inputs: modelInputs,
      outputs: modelOutputs,
    };
  };

  const specs = ios.map(specFor);
  const ops: Record<string, number> = {};
  for (const op of specs[0]?.operators ?? []) ops[op.op] = (ops[op.op] ?? 0) + 1;
  return { specs, report: { ops, folded: graph.folded, calibrationSamples: representative.shape[0]!, foldingError } };
}
