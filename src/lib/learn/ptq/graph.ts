/**
 * A tfjs LayersModel as a small graph of TFLite-shaped nodes: BatchNormalization folded into the
 * convolution or Dense before it, ReLU/ReLU6 fused into the op that produces their input, Dropout
 * and linear activations dropped. Anything else is refused by name, so an unsupported layer is a
 * clear error instead of a silently wrong model.
 */
import { ReefError } from '../../errors.ts';
import type { FusedActivation, Padding } from '../model-spec.ts';
import { tf } from '../tfjs.ts';

export type NodeKind =
  | 'conv'
  | 'depthwise'
  | 'dense'
  | 'maxpool'
  | 'avgpool'
  | 'mean'
  | 'add'
  | 'concat'
  | 'reshape'
  | 'softmax'
  | 'relu'
  | 'relu6';

export interface GraphNode {
  kind: NodeKind;
  /** Keras layers this node stands for (several after folding). */
  layers: string[];
  inputs: number[];
  output: number;
  activation: FusedActivation;
  /** conv: kh×kw×in×out; depthwise: kh×kw×in×mult; dense: in×out (tfjs layouts). */
  kernel?: Float32Array;
  kernelShape?: number[];
  bias?: Float32Array;
  strides?: [number, number];
  dilation?: [number, number];
  padding?: Padding;
  poolSize?: [number, number];
  depthMultiplier?: number;
  axis?: number;
  /** reshape: target shape without the batch dimension. */
  targetShape?: number[];
}

export interface LayerGraph {
  input: number;
  outputs: number[];
  nodes: GraphNode[];
  /** Per tensor id: shape with batch 1. */
  shapes: Map<number, number[]>;
  /** Layers removed or merged, for the report. */
  folded: string[];
}

function unsupported(message: string, reason: string): ReefError {
  return new ReefError('UNIMPLEMENTED', message, { reason });
}

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback), Number(value[1] ?? value[0] ?? fallback)];
  if (value === undefined || value === null) return [fallback, fallback];
  return [Number(value), Number(value)];
}

function padding(value: unknown): Padding {
  if (value === 'same') return 'SAME';
  if (value === 'valid' || value === undefined) return 'VALID';
  throw unsupported(`padding "${String(value)}" has no TFLite equivalent`, 'unsupported-padding');
}

function withBatch1(shape: readonly (number | null)[], layer: string): number[] {
  return shape.map((d, i) => {
    if (i === 0) return 1;
    if (d === null || d < 0) throw unsupported(`layer ${layer} has a dynamic dimension`, 'dynamic-shape');
    return d;
  });
}

function activationOf(name: unknown, layer: string): FusedActivation | 'softmax' {
  switch (name ?? 'linear') {
    case 'linear':
      return 'NONE';
    case 'relu':
      return 'RELU';
    case 'relu6':
      return 'RELU6';
    case 'softmax':
      return 'softmax';
    default:
      throw unsupported(`layer ${layer}: activation "${String(name)}" is not supported`, 'unsupported-activation');
  }
}

/** A model used as a layer (Teachable Machine nests a truncated MobileNet inside a Sequential). */
function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/**
 * A convolution's TFLite padding. A ZeroPadding2D before a VALID convolution is absorbed when it
 * pads exactly as SAME would (Keras MobileNetV2's `correct_pad` before its strided convolutions);
 * any other padding is refused by name rather than computed wrong.
 */
function convPadding(
  layer: string,
  pad: { pad: [[number, number], [number, number]]; layer: string } | undefined,
  value: unknown,
  inShape: readonly number[],
  kernelShape: readonly number[],
  strides: [number, number],
  dilation: [number, number],
): Padding {
  const own = padding(value);
  if (!pad) return own;
  const same = [0, 1].map((axis) => {
    const size = inShape[1 + axis]!;
    const k = (kernelShape[axis]! - 1) * dilation[axis]! + 1;
    const total = Math.max((Math.ceil(size / strides[axis]!) - 1) * strides[axis]! + k - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  const matches = same.every(([a, b], axis) => pad.pad[axis]![0] === a && pad.pad[axis]![1] === b);
  if (own !== 'VALID' || !matches)
    throw unsupported(
      `ZeroPadding2D ${pad.layer} pads [${pad.pad.map((p) => p.join(',')).join('; ')}] before ${layer}; only the padding SAME would add (${same.map((p) => p.join(',')).join('; ')}) before a VALID convolution can be converted`,
      'unsupported-padding',
    );
  return 'SAME';
}

/** Builds the graph; the model must have one 4-D (image) input. */
export function buildLayerGraph(model: tf.LayersModel): LayerGraph {
  if (model.inputs.length !== 1)
    throw unsupported(`the model has ${model.inputs.length} inputs; one is supported`, 'multiple-inputs');
  const input = model.inputs[0]!;
  const shapes = new Map<number, number[]>([[input.id, withBatch1(input.shape, 'input')]]);
  const alias = new Map<number, number>();
  const resolve = (id: number): number => alias.get(id) ?? id;
  const nodes: GraphNode[] = [];
  const producer = new Map<number, GraphNode>();
  const folded: string[] = [];
  let synthetic = 0;
  const fresh = () => --synthetic;

  // How many layers read each tensor: a fold is only safe when the folded op is the only reader.
  const consumers = new Map<number, number>();
  const count = (m: tf.LayersModel) => {
    for (const layer of m.layers) {
      for (const node of layer.inboundNodes)
        for (const t of node.inputTensors) consumers.set(t.id, (consumers.get(t.id) ?? 0) + 1);
      if (isNestedModel(layer)) count(layer);
    }
    for (const t of m.outputs) consumers.set(t.id, (consumers.get(t.id) ?? 0) + 1);
  };
  count(model);
  /** ZeroPadding2D outputs not materialised: the convolution reading them pads itself (SAME). */
  const padded = new Map<number, { source: number; pad: [[number, number], [number, number]]; layer: string }>();

  const add = (node: GraphNode, shape: readonly (number | null)[]) => {
    nodes.push(node);
    producer.set(node.output, node);
    shapes.set(node.output, withBatch1(shape, node.layers[0]!));
  };

  /** The node that made `id`, if its result may be changed in place (sole reader, no activation yet). */
  const foldable = (id: number, kinds: readonly NodeKind[]): GraphNode | undefined => {
    const node = producer.get(id);
    if (!node || !kinds.includes(node.kind) || node.activation !== 'NONE') return undefined;
    return consumers.get(node.output) === 1 ? node : undefined;
  };

  const fuseActivation = (layerName: string, act: FusedActivation, inId: number, out: tf.SymbolicTensor) => {
    if (act === 'NONE') {
      alias.set(out.id, inId);
      folded.push(layerName);
      return;
    }
    const target = foldable(inId, ['conv', 'depthwise', 'dense', 'add']);
    if (target) {
      target.activation = act;
      target.layers.push(layerName);
      // The fused op now produces this layer's output.
      producer.delete(target.output);
      alias.set(out.id, target.output);
      folded.push(layerName);
      return;
    }
    add(
      {
        kind: act === 'RELU' ? 'relu' : 'relu6',
        layers: [layerName],
        inputs: [inId],
        output: out.id,
        activation: 'NONE',
      },
      out.shape,
    );
  };

  const visit = (layers: readonly tf.layers.Layer[]): void => {
    for (const layer of layers) {
      const kind = layer.getClassName();
      if (kind === 'InputLayer') continue;
      // A nested model's own layers have a node of their own graph; its call in the outer graph is
      // the last one.
      if (layer.inboundNodes.length !== 1 && !isNestedModel(layer))
        throw unsupported(`layer ${layer.name} is shared between several calls`, 'shared-layer');
      const node = layer.inboundNodes[layer.inboundNodes.length - 1]!;
      const rawIns = node.inputTensors.map((t) => t.id);
      const ins = rawIns.map(resolve);
      const out = node.outputTensors[0]!;
      if (isNestedModel(layer)) {
        // Inline it: its input is the tensor it is called on, its output the caller's output.
        if (layer.inputs.length !== 1 || layer.outputs.length !== 1)
          throw unsupported(`nested model ${layer.name} has several inputs or outputs`, 'nested-multiple-io');
        const innerIn = layer.inputs[0]!.id;
        alias.set(innerIn, ins[0]!);
        const pad = padded.get(rawIns[0]!);
        if (pad) padded.set(innerIn, pad);
        visit(layer.layers);
        alias.set(out.id, resolve(layer.outputs[0]!.id));
        const innerPad = padded.get(layer.outputs[0]!.id);
        if (innerPad) padded.set(out.id, innerPad);
        folded.push(layer.name);
        continue;
      }
      const padOf = (i: number) => padded.get(rawIns[i]!);
      if (
        kind !== 'Conv2D' &&
        kind !== 'DepthwiseConv2D' &&
        kind !== 'SeparableConv2D' &&
        rawIns.some((id) => padded.has(id))
      )
        throw unsupported(
          `ZeroPadding2D ${padOf(rawIns.findIndex((id) => padded.has(id)))!.layer} is read by ${layer.name} (${kind}); only a convolution can absorb it`,
          'unsupported-padding',
        );
      const config = layer.getConfig();
      const weights = layer.getWeights();
      const name = layer.name;
      const data = (i: number) => weights[i]!.dataSync() as Float32Array;
      if (config['dataFormat'] !== undefined && config['dataFormat'] !== 'channelsLast')
        throw unsupported(`layer ${name} is channels-first`, 'channels-first');

      switch (kind) {
        case 'Dropout':
        case 'GaussianNoise':
          alias.set(out.id, ins[0]!);
          folded.push(name);
          break;
        case 'ZeroPadding2D': {
          const p = config['padding'];
          const pad: [[number, number], [number, number]] =
            Array.isArray(p) && Array.isArray(p[0]) ? [pair(p[0], 0), pair(p[1], 0)] : [pair(p, 0), pair(p, 0)];
          padded.set(out.id, { source: ins[0]!, pad, layer: name });
          alias.set(out.id, ins[0]!);
          folded.push(name);
          break;
        }
        case 'SeparableConv2D': {
          // Depthwise, then a 1×1 convolution with the bias and activation: what TFLite runs.
          const act = activationOf(config['activation'], name);
          if (act === 'softmax') throw unsupported(`SeparableConv2D ${name} with softmax`, 'unsupported-activation');
          const strides = pair(config['strides'], 1);
          const dilation = pair(config['dilationRate'], 1);
          const depthKernel = weights[0]!;
          const pointKernel = weights[1]!;
          const filters = pointKernel.shape[3]!;
          const pad = convPadding(
            name,
            padOf(0),
            config['padding'],
            shapes.get(ins[0]!)!,
            depthKernel.shape,
            strides,
            dilation,
          );
          const mid = fresh();
          const outShape = withBatch1(out.shape, name);
          add(
            {
              kind: 'depthwise',
              layers: [name],
              inputs: [ins[0]!],
              output: mid,
              activation: 'NONE',
              kernel: data(0),
              kernelShape: [...depthKernel.shape],
              bias: new Float32Array(depthKernel.shape[2]! * depthKernel.shape[3]!),
              strides,
              dilation,
              padding: pad,
              depthMultiplier: Number(config['depthMultiplier'] ?? 1),
            },
            [1, outShape[1]!, outShape[2]!, depthKernel.shape[2]! * depthKernel.shape[3]!],
          );
          add(
            {
              kind: 'conv',
              layers: [name],
              inputs: [mid],
              output: out.id,
              activation: act,
              kernel: data(1),
              kernelShape: [...pointKernel.shape],
              bias: weights.length > 2 ? data(2) : new Float32Array(filters),
              strides: [1, 1],
              dilation: [1, 1],
              padding: 'VALID',
              depthMultiplier: 1,
            },
            out.shape,
          );
          break;
        }
        case 'GlobalMaxPooling2D': {
          const [, h, w, c] = shapes.get(ins[0]!)!;
          const keep = config['keepDims'] === true;
          const pooled = keep ? out.id : fresh();
          add(
            {
              kind: 'maxpool',
              layers: [name],
              inputs: [ins[0]!],
              output: pooled,
              activation: 'NONE',
              poolSize: [h!, w!],
              strides: [1, 1],
              padding: 'VALID',
            },
            [1, 1, 1, c!],
          );
          if (!keep)
            add(
              {
                kind: 'reshape',
                layers: [name],
                inputs: [pooled],
                output: out.id,
                activation: 'NONE',
                targetShape: [c!],
              },
              out.shape,
            );
          break;
        }
        case 'Conv2D':
        case 'DepthwiseConv2D':
        case 'Dense': {
          const act = activationOf(config['activation'], name);
          const isDense = kind === 'Dense';
          if (isDense && shapes.get(ins[0]!)?.length !== 2)
            throw unsupported(`Dense layer ${name} needs a flat input (add Flatten first)`, 'dense-on-image');
          const kernelShape = weights[0]!.shape;
          const units = kernelShape[kernelShape.length - 1]! * (kind === 'DepthwiseConv2D' ? kernelShape[2]! : 1);
          // With a softmax activation the op's own result (the logits) is a tensor Keras never named.
          const pre = act === 'softmax' ? fresh() : out.id;
          add(
            {
              kind: isDense ? 'dense' : kind === 'Conv2D' ? 'conv' : 'depthwise',
              layers: [name],
              inputs: [ins[0]!],
              output: pre,
              activation: act === 'softmax' ? 'NONE' : act,
              kernel: data(0),
              kernelShape: [...kernelShape],
              bias: weights.length > 1 ? data(1) : new Float32Array(units),
              ...(isDense
                ? {}
                : {
                    strides: pair(config['strides'], 1),
                    dilation: pair(config['dilationRate'], 1),
                    padding: convPadding(
                      name,
                      padOf(0),
                      config['padding'],
                      shapes.get(ins[0]!)!,
                      kernelShape,
                      pair(config['strides'], 1),
                      pair(config['dilationRate'], 1),
                    ),
                    depthMultiplier: Number(config['depthMultiplier'] ?? 1),
                  }),
            },
            out.shape,
          );
          if (act === 'softmax')
            add({ kind: 'softmax', layers: [name], inputs: [pre], output: out.id, activation: 'NONE' }, out.shape);
          break;
        }
        case 'BatchNormalization': {
          const target = foldable(ins[0]!, ['conv', 'depthwise', 'dense']);
          if (!target)
            throw unsupported(
              `BatchNormalization ${name} does not follow a convolution or Dense layer it can be folded into`,
              'unfoldable-batchnorm',
            );
          const axis = Number(config['axis'] ?? -1);
          if (axis !== -1 && axis !== (shapes.get(ins[0]!)?.length ?? 0) - 1)
            throw unsupported(`BatchNormalization ${name} is not over channels`, 'unfoldable-batchnorm');
          let i = 0;
          const gamma = config['scale'] === false ? undefined : data(i++);
          const beta = config['center'] === false ? undefined : data(i++);
          const mean = data(i++);
          const variance = data(i);
          const eps = Number(config['epsilon'] ?? 1e-3);
          const channels = mean.length;
          const kernel = Float32Array.from(target.kernel!);
          const bias = Float32Array.from(target.bias!);
          for (let c = 0; c < channels; c++) {
            const k = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
            bias[c] = (bias[c]! - mean[c]!) * k + (beta ? beta[c]! : 0);
            // The output channel is the fastest-moving index in every tfjs kernel layout used here.
            for (let j = c; j < kernel.length; j += channels) kernel[j] = kernel[j]! * k;
          }
          target.kernel = kernel;
          target.bias = bias;
          target.layers.push(name);
          producer.delete(target.output);
          target.output = out.id;
          producer.set(out.id, target);
          shapes.set(out.id, withBatch1(out.shape, name));
          folded.push(name);
          break;
        }
        case 'Activation': {
          const act = activationOf(config['activation'], name);
          if (act === 'softmax')
            add({ kind: 'softmax', layers: [name], inputs: [ins[0]!], output: out.id, activation: 'NONE' }, out.shape);
          else fuseActivation(name, act, ins[0]!, out);
          break;
        }
        case 'ReLU': {
          const max = config['maxValue'];
          if (max !== undefined && max !== null && Number(max) !== 6)
            throw unsupported(
              `ReLU ${name} with maxValue ${String(max)}: TFLite fuses only ReLU and ReLU6 (maxValue 6)`,
              'unsupported-activation',
            );
          fuseActivation(name, max === undefined || max === null ? 'RELU' : 'RELU6', ins[0]!, out);
          break;
        }
        case 'Softmax':
          add({ kind: 'softmax', layers: [name], inputs: [ins[0]!], output: out.id, activation: 'NONE' }, out.shape);
          break;
        case 'MaxPooling2D':
        case 'AveragePooling2D': {
          const poolSize = pair(config['poolSize'], 2);
          add(
            {
              kind: kind === 'MaxPooling2D' ? 'maxpool' : 'avgpool',
              layers: [name],
              inputs: [ins[0]!],
              output: out.id,
              activation: 'NONE',
              poolSize,
              strides: config['strides'] ? pair(config['strides'], 1) : poolSize,
              padding: padding(config['padding']),
            },
            out.shape,
          );
          break;
        }
        case 'GlobalAveragePooling2D':
          add({ kind: 'mean', layers: [name], inputs: [ins[0]!], output: out.id, activation: 'NONE' }, out.shape);
          break;
        case 'Add':
          add({ kind: 'add', layers: [name], inputs: ins, output: out.id, activation: 'NONE' }, out.shape);
          if (ins.length !== 2) throw unsupported(`Add ${name} has ${ins.length} inputs; 2 are supported`, 'add-arity');
          break;
        case 'Concatenate': {
          const rank = out.shape.length;
          const axis = Number(config['axis'] ?? -1);
          add(
            {
              kind: 'concat',
              layers: [name],
              inputs: ins,
              output: out.id,
              activation: 'NONE',
              axis: axis < 0 ? rank + axis : axis,
            },
            out.shape,
          );
          break;
        }
        case 'Flatten':
        case 'Reshape':
          add(
            {
              kind: 'reshape',
              layers: [name],
              inputs: [ins[0]!],
              output: out.id,
              activation: 'NONE',
              targetShape: withBatch1(out.shape, name).slice(1),
            },
            out.shape,
          );
          break;
        default:
          throw unsupported(`layer ${name} of type ${kind} cannot be quantized by Reef`, 'unsupported-layer');
      }
    }
  };
  visit(model.layers);
  return { input: input.id, outputs: model.outputs.map((t) => resolve(t.id)), nodes, shapes, folded };
}

/**
 * Runs the graph in float with tfjs (after folding), keeping every tensor: the calibration source,
 * and a check that folding kept the model's function. Caller disposes the returned tensors.
 */
export function runGraph(graph: LayerGraph, input: tf.Tensor): Map<number, tf.Tensor> {
  const values = new Map<number, tf.Tensor>([[graph.input, input]]);
  const get = (id: number) => values.get(id)!;
  const act = (t: tf.Tensor, a: FusedActivation) => (a === 'RELU' ? tf.relu(t) : a === 'RELU6' ? tf.relu6(t) : t);
  for (const node of graph.nodes) {
    const x = get(node.inputs[0]!);
    let y: tf.Tensor;
    switch (node.kind) {
      case 'conv':
        y = tf.add(
          tf.conv2d(
            x as tf.Tensor4D,
            tf.tensor4d(node.kernel!, node.kernelShape as [number, number, number, number]),
            node.strides!,
            node.padding === 'SAME' ? 'same' : 'valid',
            'NHWC',
            node.dilation!,
          ),
          node.bias!,
        );
        break;
      case 'depthwise':
        y = tf.add(
          tf.depthwiseConv2d(
            x as tf.Tensor4D,
            tf.tensor4d(node.kernel!, node.kernelShape as [number, number, number, number]),
            node.strides!,
            node.padding === 'SAME' ? 'same' : 'valid',
            'NHWC',
            node.dilation!,
          ),
          node.bias!,
        );
        break;
      case 'dense':
        y = tf.add(
          tf.matMul(x as tf.Tensor2D, tf.tensor2d(node.kernel!, node.kernelShape as [number, number])),
          node.bias!,
        );
        break;
      case 'maxpool':
      case 'avgpool': {
        const pool = node.kind === 'maxpool' ? tf.maxPool : tf.avgPool;
        y = pool(x as tf.Tensor4D, node.poolSize!, node.strides!, node.padding === 'SAME' ? 'same' : 'valid');
        break;
      }
      case 'mean':
        y = tf.mean(x, [1, 2]);
        break;
      case 'add':
        y = tf.add(x, get(node.inputs[1]!));
        break;
      case 'concat':
        y = tf.concat(node.inputs.map(get), node.axis!);
        break;
      case 'reshape':
        y = tf.reshape(x, [x.shape[0]!, ...node.targetShape!]);
        break;
      case 'softmax':
        y = tf.softmax(x);
        break;
      case 'relu':
        y = tf.relu(x);
        break;
      case 'relu6':
        y = tf.relu6(x);
        break;
    }
    values.set(node.output, act(y, node.activation));
  }
  return values;
}
