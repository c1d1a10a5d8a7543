/**
 * Whether `*_segment_K_of_N_edgetpu.tflite` files make one model: every K from 0 to N−1 once with
 * the same N (orderSegments), and each segment's outputs fit the next segment's inputs. Outputs
 * feed inputs by tensor name when every input name is among the previous outputs (the compiler
 * keeps the cut tensors' names), else by position; either way each pair must agree in type, shape
 * and quantization, or the load fails naming the segment and tensor that do not fit — a mismatch
 * found only at run time would be a wrong result, not an error.
 */
import { ReefError } from '../../errors.ts';
import { readModel, type Tensor } from '../../tflite/index.ts';

const SEGMENT_NAME = /^(.*)_segment_(\d+)_of_(\d+)_edgetpu\.tflite$/;

/**
 * `K` (index) and `N` (count) of a `*_segment_K_of_N_edgetpu.tflite` file name, and its `set`: the
 * name without the segment part, shared by every file of the set. Undefined for other names.
 */
export function segmentOf(fileName: string): { set: string; index: number; count: number } | undefined {
  const m = SEGMENT_NAME.exec(fileName);
  if (!m) return undefined;
  return { set: m[1]!, index: Number(m[2]), count: Number(m[3]) };
}

/**
 * Puts segment files in pipeline order (by their `_segment_K_of_N_` names) and checks the set is
 * complete: every K from 0 to N−1 once, all with the same N. Names without the pattern keep their
 * given order (a pipeline of unrelated models also works, stage by stage).
 */
export function orderSegments<S extends { name: string }>(segments: readonly S[]): S[] {
  const parsed = segments.map((s) => ({ s, seg: segmentOf(s.name) }));
  if (parsed.every((p) => p.seg === undefined)) return [...segments];
  const bad = parsed.find((p) => p.seg === undefined);
  if (bad) {
    throw new ReefError('INVALID_ARGUMENT', `${bad.s.name} is not a *_segment_K_of_N_edgetpu.tflite file`, {
      reason: 'not-a-segment',
    });
  }
  const count = parsed[0]!.seg!.count;
  const byIndex = new Map<number, S>();
  for (const { s, seg } of parsed) {
    if (seg!.count !== count || seg!.index >= count || byIndex.has(seg!.index)) {
      throw new ReefError('INVALID_ARGUMENT', `${s.name} does not belong to a ${count}-segment pipeline`, {
        reason: 'segment-mismatch',
      });
    }
    byIndex.set(seg!.index, s);
  }
  const missing = [...Array(count).keys()].filter((k) => !byIndex.has(k));
  if (missing.length > 0) {
    throw new ReefError('INVALID_ARGUMENT', `segment(s) ${missing.join(', ')} of ${count} are missing`, {
      reason: 'segment-missing',
    });
  }
  return [...Array(count).keys()].map((k) => byIndex.get(k)!);
}

export interface SegmentFile {
  name: string;
  bytes: Uint8Array;
}

/** What crosses a cut between two segments: enough to check that both sides agree. */
interface CutTensor {
  name: string;
  dtype: string;
  shape: number[];
  scale: number[];
  zeroPoint: number[];
}

export interface SegmentSet<S extends SegmentFile = SegmentFile> {
  /** The files in pipeline order. */
  segments: S[];
  /**
   * `feeds[k][i]`: which output of segment k−1 feeds input i of segment k (`feeds[0]` is empty:
   * segment 0 takes the model's inputs).
   */
  feeds: number[][];
}

function mismatch(message: string): ReefError {
  return new ReefError('INVALID_ARGUMENT', message, { reason: 'segment-io-mismatch' });
}

function cutTensors(file: SegmentFile): { inputs: CutTensor[]; outputs: CutTensor[] } {
  const subgraph = readModel(file.bytes).subgraphs[0];
  if (!subgraph) throw mismatch(`${file.name} has no subgraph`);
  const describe = (index: number): CutTensor => {
    const t: Tensor | undefined = subgraph.tensors[index];
    if (!t) throw mismatch(`${file.name} names tensor ${index}, which it does not have`);
    return {
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      scale: [...(t.quantization?.scale ?? [])],
      zeroPoint: [...(t.quantization?.zeroPoint ?? [])],
    };
  };
  return { inputs: subgraph.inputs.map(describe), outputs: subgraph.outputs.map(describe) };
}

/** Scales are float32 in the file; both sides of a cut come from one compile, so equal up to rounding. */
function sameScale(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => Math.abs(s - b[i]!) <= 1e-6 * Math.max(Math.abs(s), 1e-12));
}

/** Why output `out` cannot feed input `input`, or undefined when it can. */
function disagreement(out: CutTensor, input: CutTensor): string | undefined {
  if (out.dtype !== input.dtype) return `type ${out.dtype} ≠ ${input.dtype}`;
  if (out.shape.join('x') !== input.shape.join('x')) return `shape ${out.shape.join('x')} ≠ ${input.shape.join('x')}`;
  if (!sameScale(out.scale, input.scale) || out.zeroPoint.join(',') !== input.zeroPoint.join(',')) {
    return `quantization scale ${out.scale.join(',') || 'none'} zero point ${out.zeroPoint.join(',') || 'none'} ≠ scale ${input.scale.join(',') || 'none'} zero point ${input.zeroPoint.join(',') || 'none'}`;
  }
  return undefined;
}

/** Short tensor names for messages: the compiler's fused names run to hundreds of characters. */
function shortName(name: string): string {
  const first = name.split(';')[0]!;
  return first.length > 80 ? `${first.slice(0, 77)}…` : first;
}

/**
 * Orders `files` by their segment names and checks that they chain; throws INVALID_ARGUMENT with
 * reason `not-a-segment`, `segment-mismatch` (another N, or a K twice), `segment-missing` or
 * `segment-io-mismatch` (the message names both segments and the tensor).
 */
export function checkSegmentSet<S extends SegmentFile>(files: readonly S[]): SegmentSet<S> {
  if (files.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', 'no segment files were given', { reason: 'segment-missing' });
  }
  const segments = orderSegments(files);
  const cuts = segments.map(cutTensors);
  const feeds: number[][] = [[]];
  for (let k = 1; k < segments.length; k++) {
    const before = segments[k - 1]!.name;
    const after = segments[k]!.name;
    const outputs = cuts[k - 1]!.outputs;
    const inputs = cuts[k]!.inputs;
    if (outputs.length !== inputs.length) {
      throw mismatch(
        `${before} gives ${outputs.length} output(s) but ${after} takes ${inputs.length} input(s): they are not consecutive segments of one model`,
      );
    }
    const byName = inputs.every((input) => outputs.some((o) => o.name === input.name));
    const feed = inputs.map((input, i) => (byName ? outputs.findIndex((o) => o.name === input.name) : i));
    feed.forEach((from, i) => {
      const why = disagreement(outputs[from]!, inputs[i]!);
      if (why) {
        throw mismatch(
          `${before} output ${from} (${shortName(outputs[from]!.name)}) does not fit ${after} input ${i} (${shortName(inputs[i]!.name)}): ${why}`,
        );
      }
    });
    feeds.push(feed);
  }
  return { segments, feeds };
}
