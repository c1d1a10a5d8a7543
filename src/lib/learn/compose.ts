/**
 * One .tflite from an extractor and a trained head: the head's quantized ops are appended after
 * the extractor's output with the model writer, and the labels ride along as an appended ZIP
 * (like Coral's models). On a compiled extractor the Edge TPU runs its custom op and the CPU the
 * small head; on the CPU twin everything runs in WASM.
 */
import { strToU8 } from 'fflate';
import { ReefError } from '../errors.ts';
import { appendOps, readModel, writeModel, type AppendSpec, type Model } from '../tflite/index.ts';
import { headSpec, type HeadInput } from './head-spec.ts';
import { builderOptions, opVersion } from './emit.ts';
import type { ModelSpec } from './model-spec.ts';
import type { tf } from './tfjs.ts';

export interface ComposeOptions {
  labels: readonly string[];
  /** Per-channel int8 weights (int8 extractors only); default true. */
  perChannel?: boolean;
}

export function headInputOf(model: Model): { input: HeadInput; index: number } {
  const subgraph = model.subgraphs[0];
  const index = subgraph?.outputs[0];
  const tensor = index === undefined ? undefined : subgraph?.tensors[index];
  if (!subgraph || index === undefined || !tensor)
    throw new ReefError('INVALID_ARGUMENT', 'the extractor has no output tensor', { reason: 'no-output' });
  if (subgraph.outputs.length !== 1)
    throw new ReefError('INVALID_ARGUMENT', `the extractor has ${subgraph.outputs.length} outputs; one is needed`, {
      reason: 'extractor-outputs',
    });
  const q = tensor.quantization;
  if ((tensor.dtype !== 'uint8' && tensor.dtype !== 'int8') || !q || !q.scale.length)
    throw new ReefError('INVALID_ARGUMENT', `the extractor output ${tensor.name} is not a quantized 8-bit tensor`, {
      reason: 'extractor-not-quantized',
    });
  return {
    index,
    input: {
      name: tensor.name,
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      scale: q.scale[0]!,
      zeroPoint: Number(q.zeroPoint[0] ?? 0),
    },
  };
}

/** A head spec (tensor 0 = the extractor output) as an append to a model whose output is `index`. */
export function appendSpecOf(spec: ModelSpec, index: number): AppendSpec {
  const ref = (t: number) => (t === 0 ? index : spec.tensors[t]!.name);
  return {
    tensors: spec.tensors.slice(1).map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      quantization: t.quant ? { ...t.quant } : null,
      ...(t.data ? { data: t.data } : {}),
    })),
    ops: spec.operators.map((op) => {
      const options = builderOptions(op);
      return {
        op: op.op,
        inputs: op.inputs.map(ref),
        outputs: op.outputs.map(ref),
        version: opVersion(op.op, spec.tensors[op.inputs[0]!]!.dtype),
        ...(options ? { options } : {}),
      };
    }),
    outputs: spec.outputs.map(ref),
  };
}

export function labelsFile(labels: readonly string[]): Uint8Array {
  return strToU8(labels.join('\n') + '\n');
}

/**
 * Extractor bytes + float head + calibration embeddings (n × dim, dequantized extractor outputs)
 * → the composed model's bytes.
 */
export function composeModel(
  extractor: Uint8Array,
  head: tf.LayersModel,
  calibration: Float32Array,
  opts: ComposeOptions,
): Uint8Array {
  const model = readModel(extractor);
  const { input, index } = headInputOf(model);
  const spec = headSpec(head, input, calibration, { perChannel: opts.perChannel ?? true });
  const classes = spec.tensors[spec.outputs[0]!]!.shape.at(-1)!;
  if (opts.labels.length !== classes)
    throw new ReefError('INVALID_ARGUMENT', `${opts.labels.length} labels for a head with ${classes} classes`, {
      reason: 'label-count',
    });
  const composed = appendOps(model, appendSpecOf(spec, index));
  composed.description = `${model.description} + Reef trained head (${classes} classes)`;
  // The writer zips associated files after the flatbuffer; readers find labels.txt there.
  composed.associatedFiles = { 'labels.txt': labelsFile(opts.labels) };
  composed.appended = new Uint8Array(0);
  return writeModel(composed);
}
