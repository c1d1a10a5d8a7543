import type { BuiltinOptions, Model, Tensor } from './types.ts';

/**
 * "Could this model compile for the Edge TPU?" — a static check of a CPU model against the op
 * table and general requirements in docs/edgetpu-model-requirements.md (a lower bound: the
 * compiler may still leave a listed op on the CPU, e.g. a large RESIZE_BILINEAR).
 */

/** Builtin ops the Edge TPU compiler maps (union of the 2019 Coral table and the newer list). */
export const EDGETPU_SUPPORTED_OPS: ReadonlySet<string> = new Set([
  'ADD',
  'AVERAGE_POOL_2D',
  'CONCATENATION',
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'EXPAND_DIMS',
  'FULLY_CONNECTED',
  'L2_NORMALIZATION',
  'LOGISTIC',
  'LSTM',
  'UNIDIRECTIONAL_SEQUENCE_LSTM',
  'MAXIMUM',
  'MAX_POOL_2D',
  'MEAN',
  'MINIMUM',
  'MUL',
  'PACK',
  'PAD',
  'PRELU',
  'QUANTIZE',
  'REDUCE_MAX',
  'REDUCE_MIN',
  'RELU',
  'RELU6',
  'RELU_N1_TO_1',
  'RESHAPE',
  'RESIZE_BILINEAR',
  'RESIZE_NEAREST_NEIGHBOR',
  'SLICE',
  'SOFTMAX',
  'SPACE_TO_DEPTH',
  'SPLIT',
  'SQUEEZE',
  'STRIDED_SLICE',
  'SUB',
  'TANH',
]);

/** Largest SOFTMAX input the Edge TPU takes. */
export const EDGETPU_MAX_SOFTMAX_ELEMENTS = 16000;

export interface CompatibilityIssue {
  /** Op index in subgraph 0, or -1 for a model-wide problem. */
  index: number;
  opcode: string;
  reason: string;
}

export interface CompatibilityReport {
  /** True when every op could be mapped (the whole model would become one Edge TPU op). */
  compatible: boolean;
  unsupported: CompatibilityIssue[];
  /**
   * Where each op would run once compiled: the compiler makes one Edge TPU partition, so from the
   * first unsupported op after a mapped one, everything runs on the CPU; unsupported leading ops
   * stay on the CPU as a prefix.
   */
  predictedPlacement: ('tpu' | 'cpu')[];
}

const QUANTIZED = new Set(['uint8', 'int8']);

function isConstant(model: Model, tensor: Tensor): boolean {
  return tensor.buffer > 0 && (model.buffers[tensor.buffer]?.data.length ?? 0) > 0;
}

function opName(model: Model, opcodeIndex: number): string {
  const code = model.operatorCodes[opcodeIndex];
  if (!code) return `opcode ${opcodeIndex}`;
  return code.customCode ?? code.builtinName;
}

function rankProblem(tensor: Tensor): string | null {
  const leading = tensor.shape.slice(0, Math.max(0, tensor.shape.length - 3));
  return leading.some((d) => d !== 1)
    ? `tensor ${tensor.name || '(unnamed)'} [${tensor.shape.join(',')}] has more than 3 dimensions larger than 1`
    : null;
}

function optionProblems(name: string, options: BuiltinOptions | null, inputs: Tensor[]): string[] {
  const problems: string[] = [];
  const act = options?.['fusedActivationFunction'];
  if ((name === 'AVERAGE_POOL_2D' || name === 'MAX_POOL_2D' || name === 'CONCATENATION') && act && act !== 'NONE')
    problems.push(`fused activation ${String(act)} is not supported on ${name}`);
  if ((name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D') && options)
    if (options['dilationWFactor'] !== options['dilationHFactor']) problems.push('dilation differs between x and y');
  if (name === 'FULLY_CONNECTED' && options && options['weightsFormat'] !== 'DEFAULT')
    problems.push(`weights format ${String(options['weightsFormat'])} is not supported`);
  if (name === 'STRIDED_SLICE' && options && (options['ellipsisMask'] !== 0 || options['newAxisMask'] !== 0))
    problems.push('ellipsis and new-axis masks must be 0');
  if (name === 'SOFTMAX') {
    const input = inputs[0];
    if (input) {
      const dims = input.shape;
      const elements = dims.reduce((a, b) => a * b, 1);
      if (dims.slice(0, -1).some((d) => d !== 1)) problems.push('SOFTMAX input must be 1-D (all but the last dim 1)');
      if (elements > EDGETPU_MAX_SOFTMAX_ELEMENTS)
        problems.push(`SOFTMAX input has ${elements} elements (at most ${EDGETPU_MAX_SOFTMAX_ELEMENTS})`);
    }
  }
  return problems;
}

/** Checks subgraph 0 of a (CPU) model against the Edge TPU's requirements. */
export function checkEdgeTpuCompatibility(model: Model): CompatibilityReport {
  const unsupported: CompatibilityIssue[] = [];
  const subgraph = model.subgraphs[0];
  if (!subgraph)
    return {
      compatible: false,
      unsupported: [{ index: -1, opcode: '', reason: 'no subgraph' }],
      predictedPlacement: [],
    };
  if (model.subgraphs.length > 1)
    unsupported.push({ index: -1, opcode: '', reason: `${model.subgraphs.length} subgraphs (only one is compiled)` });
  const opOk: boolean[] = [];
  subgraph.operators.forEach((op, index) => {
    const name = opName(model, op.opcodeIndex);
    const code = model.operatorCodes[op.opcodeIndex];
    const reasons: string[] = [];
    if (!code || code.customCode !== null) reasons.push('custom ops are not supported by the Edge TPU');
    else if (!EDGETPU_SUPPORTED_OPS.has(name)) reasons.push(`${name} is not supported by the Edge TPU`);
    const inputs = op.inputs
      .filter((t) => t >= 0)
      .map((t) => subgraph.tensors[t])
      .filter((t) => t !== undefined);
    const outputs = op.outputs.map((t) => subgraph.tensors[t]).filter((t) => t !== undefined);
    for (const tensor of [...inputs, ...outputs]) {
      const constant = isConstant(model, tensor);
      // Biases are int32 constants; everything else must be 8-bit.
      const okType =
        QUANTIZED.has(tensor.dtype) ||
        (constant && tensor.dtype === 'int32') ||
        // UNIDIRECTIONAL_SEQUENCE_LSTM keeps int16 state (mapped in the keras_lstm fixture).
        (name === 'UNIDIRECTIONAL_SEQUENCE_LSTM' && (tensor.dtype === 'int16' || tensor.dtype === 'int32'));
      if (!okType)
        reasons.push(`tensor ${tensor.name || '(unnamed)'} is ${tensor.dtype} (the Edge TPU needs uint8/int8)`);
      if (!constant && tensor.shapeSignature?.some((d) => d < 0))
        reasons.push(`tensor ${tensor.name || '(unnamed)'} has a dynamic shape`);
      if (!constant) {
        const rank = rankProblem(tensor);
        if (rank) reasons.push(rank);
      }
    }
    reasons.push(...optionProblems(name, op.builtinOptions, inputs));
    const unique = [...new Set(reasons)];
    for (const reason of unique) unsupported.push({ index, opcode: name, reason });
    opOk.push(unique.length === 0);
  });
  // One partition: leading unsupported ops stay on the CPU; after the first mapped op, the first
  // unsupported op ends the partition.
  const predictedPlacement: ('tpu' | 'cpu')[] = [];
  let started = false;
  let ended = false;
  for (const ok of opOk) {
    if (ok && !ended) {
      started = true;
      predictedPlacement.push('tpu');
    } else {
      if (started) ended = true;
      predictedPlacement.push('cpu');
    }
  }
  return { compatible: unsupported.length === 0, unsupported, predictedPlacement };
}
