import type { ModelInspection } from '../../../worker/accelerator-api.ts';
import { accelerator } from '../../shared/accelerator.ts';

/** What the Models page's inspector shows about one model file, as plain data from the worker. */
export interface InspectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  scale?: number;
  zeroPoint?: number;
}

export interface InspectedSegment {
  /** Where this run of operators executes. */
  placement: 'tpu' | 'cpu';
  ops: string[];
}

export interface Inspection {
  name: string;
  sizeBytes: number;
  inputs: InspectedTensor[];
  outputs: InspectedTensor[];
  segments: InspectedSegment[];
  edgetpu?: {
    minRuntimeVersion: number;
    compilerVersion: string;
    executables: number;
    /** Parameters loaded into the on-chip cache once per model. */
    parameterBytes: number;
    /** Parameters sent over USB with every inference. */
    streamedBytes: number;
    /** The Coral's on-chip parameter cache; parameters beyond it are streamed over USB each run. */
    cacheBytes: number;
  };
  labelCount: number;
  warnings: string[];
}

/** `CONV_2D ×15, SOFTMAX` — op names with repeat counts, in first-seen order. */
export function summarizeOps(ops: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(', ');
}

export function formatShape(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}

/** Turns the worker's inspection (src/lib model I/O) into what the inspector view shows. */
export function toInspection(name: string, report: ModelInspection): Inspection {
  const tensor = (t: ModelInspection['inputs'][number]): InspectedTensor => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    ...(t.scale !== null ? { scale: t.scale, zeroPoint: t.zeroPoint ?? 0 } : {}),
  });
  const opName = new Map(report.ops.map((op) => [op.index, op.opcode]));
  const e = report.edgetpu;
  return {
    name,
    sizeBytes: report.bytes,
    inputs: report.inputs.map(tensor),
    outputs: report.outputs.map(tensor),
    segments: report.segments.map((s) => ({
      placement: s.placement,
      ops: s.ops.map((i) => opName.get(i) ?? `op ${i}`),
    })),
    ...(e
      ? {
          edgetpu: {
            minRuntimeVersion: e.minRuntimeVersion,
            compilerVersion: e.compilerVersion,
            executables: e.executables.length,
            parameterBytes: e.parameterCacheFit.cachedBytes,
            streamedBytes: e.parameterCacheFit.streamedBytes,
            cacheBytes: e.parameterCacheFit.cacheBytes,
          },
        }
      : {}),
    labelCount: report.labels?.length ?? 0,
    warnings: report.warnings,
  };
}

/** Asks the worker to inspect a stored model. */
export async function inspectStoredModel(file: { sha256: string; name: string }): Promise<Inspection> {
  return toInspection(file.name, await accelerator().inspect(file.sha256));
}
