import {
  checkEdgeTpuCompatibility,
  opRuns,
  readModel,
  type CompatibilityReport,
  type Model,
  type Tensor,
} from '../../tflite/index.ts';
import { findEdgeTpuOps } from './find.ts';
import { selectExecutables, type ReadPackageOptions } from './package.ts';
import type { EdgeTpuOp, ExecutableTypeName } from './types.ts';

/** On-chip parameter cache of the Edge TPU (about 7.5 MiB of it usable, per compiler reports). */
export const PARAMETER_CACHE_BYTES = 8 * 1024 * 1024;

export interface InspectedTensor {
  index: number;
  name: string;
  dtype: string;
  shape: number[];
  /** First (per-tensor) scale / zero point; null when unquantized. */
  scale: number | null;
  zeroPoint: number | null;
  /** True when the tensor is quantized per channel (scale/zeroPoint then give channel 0). */
  perChannel: boolean;
}

export type Placement = 'tpu' | 'cpu';

export interface InspectedOp {
  index: number;
  /** Builtin name, or the custom code of a custom op. */
  opcode: string;
  placement: Placement;
}

export interface InspectedSegment {
  placement: Placement;
  ops: number[];
}

export interface InspectedExecutable {
  type: ExecutableTypeName;
  name: string;
  parameterBytes: number;
  cachingToken: string;
  inputLayers: number;
  outputLayers: number;
}

export interface InspectedEdgeTpu {
  minRuntimeVersion: number;
  compilerVersion: string;
  chip: string;
  /** Number of edgetpu-custom-op ops (normally 1). */
  customOps: number;
  executables: InspectedExecutable[];
  parameterCacheFit: {
    /** Bytes the parameter-caching executables keep on the chip. */
    cachedBytes: number;
    /** Bytes streamed with every inference (execution-only / stand-alone parameters). */
    streamedBytes: number;
    cacheBytes: number;
    fits: boolean;
  };
}

/** JSON-serializable summary of a model: what `reef inspect --json` prints. */
export interface ModelInspection {
  bytes: number;
  schemaVersion: number;
  description: string;
  subgraphs: number;
  tensors: number;
  inputs: InspectedTensor[];
  outputs: InspectedTensor[];
  ops: InspectedOp[];
  segments: InspectedSegment[];
  edgetpu: InspectedEdgeTpu | null;
  /** For models without Edge TPU ops: could they compile? (null for compiled models). */
  compatibility: CompatibilityReport | null;
  customOps: string[];
  labels: string[] | null;
  metadata: {
    name: string | null;
    description: string | null;
    normalization: { mean: number[]; std: number[] } | null;
  } | null;
  warnings: string[];
}

function describeTensor(tensor: Tensor, index: number): InspectedTensor {
  const q = tensor.quantization;
  const quantized = q !== null && q.scale.length > 0;
  return {
    index,
    name: tensor.name,
    dtype: tensor.dtype,
    shape: tensor.shape,
    scale: quantized ? (q.scale[0] ?? null) : null,
    zeroPoint: quantized ? (q.zeroPoint[0] ?? 0) : null,
    perChannel: quantized && q.scale.length > 1,
  };
}

function describeEdgeTpu(found: EdgeTpuOp[], warnings: string[]): InspectedEdgeTpu | null {
  const first = found[0];
  if (!first) return null;
  const executables: InspectedExecutable[] = [];
  let cachedBytes = 0;
  let streamedBytes = 0;
  for (const op of found) {
    warnings.push(...op.package.warnings);
    for (const exe of op.package.executables)
      executables.push({
        type: exe.type,
        name: exe.name,
        parameterBytes: exe.parameters.length,
        cachingToken: exe.cachingToken,
        inputLayers: exe.inputLayers.length,
        outputLayers: exe.outputLayers.length,
      });
    const selection = selectExecutables(op.package);
    cachedBytes += selection.parameterCaching?.parameters.length ?? 0;
    streamedBytes += selection.main.parameters.length;
  }
  if (found.length > 1) warnings.push(`${found.length} Edge TPU ops: each is a separate partition`);
  const fits = cachedBytes <= PARAMETER_CACHE_BYTES;
  if (!fits)
    warnings.push(
      `cached parameters (${cachedBytes} bytes) exceed the ${PARAMETER_CACHE_BYTES}-byte on-chip cache; the rest streams with every inference`,
    );
  return {
    minRuntimeVersion: Math.max(...found.map((op) => op.package.minRuntimeVersion)),
    compilerVersion: first.package.compilerVersion,
    chip: first.package.chip,
    customOps: found.length,
    executables,
    parameterCacheFit: { cachedBytes, streamedBytes, cacheBytes: PARAMETER_CACHE_BYTES, fits },
  };
}

/** Inspects an already-read model (see `inspectModel` for bytes). */
export function inspectReadModel(model: Model, byteLength: number, options: ReadPackageOptions = {}): ModelInspection {
  const warnings = [...model.warnings];
  const subgraph = model.subgraphs[0];
  if (model.subgraphs.length > 1) warnings.push(`${model.subgraphs.length} subgraphs; only subgraph 0 is described`);
  const found = findEdgeTpuOps(model, options).filter((op) => op.subgraphIndex === 0);
  const tpuOps = new Set(found.map((op) => op.opIndex));
  const ops: InspectedOp[] = (subgraph?.operators ?? []).map((op, index) => {
    const code = model.operatorCodes[op.opcodeIndex];
    return {
      index,
      opcode: code ? (code.customCode ?? code.builtinName) : `opcode ${op.opcodeIndex}`,
      placement: tpuOps.has(index) ? 'tpu' : 'cpu',
    };
  });
  const customOps = [
    ...new Set(model.operatorCodes.filter((c) => c.customCode !== null).map((c) => c.customCode as string)),
  ];
  const edgetpu = describeEdgeTpu(found, warnings);
  const compatibility = edgetpu ? null : checkEdgeTpuCompatibility(model);
  const tensors = subgraph?.tensors ?? [];
  const io = (indices: number[]) =>
    indices.flatMap((index) => {
      const tensor = tensors[index];
      return tensor ? [describeTensor(tensor, index)] : [];
    });
  const meta = model.modelMetadata;
  return {
    bytes: byteLength,
    schemaVersion: model.version,
    description: model.description,
    subgraphs: model.subgraphs.length,
    tensors: tensors.length,
    inputs: io(subgraph?.inputs ?? []),
    outputs: io(subgraph?.outputs ?? []),
    ops,
    segments: opRuns(ops.map((op) => op.placement)),
    edgetpu,
    compatibility,
    customOps,
    labels: model.labels,
    metadata: meta
      ? { name: meta.name, description: meta.description, normalization: meta.inputs[0]?.normalization ?? null }
      : null,
    warnings,
  };
}

/**
 * Reads a model and summarizes it: I/O, ops with placement, CPU/TPU segments, the Edge TPU
 * package (runtime version, executables, parameter cache fit), labels, and — for CPU models —
 * whether it could compile for the Edge TPU. Throws the reader's typed errors on bad bytes.
 */
export function inspectModel(bytes: Uint8Array, options: ReadPackageOptions = {}): ModelInspection {
  return inspectReadModel(readModel(bytes), bytes.length, options);
}
