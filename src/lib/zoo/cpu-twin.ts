/**
 * Which CPU model goes with an Edge TPU compiled one. The compiler keeps the CPU model's input and
 * output tensors (names, shapes, types, quantization), so a twin is recognised by its file name
 * (`x_edgetpu.tflite` ↔ `x.tflite`) and confirmed, or found, by that I/O signature. One module for
 * the worker (Live, Benchmark, Kiosk) and the CLI, so every face pairs files the same way.
 */
import { ReefError } from '../errors.ts';
import { hasEdgeTpuOps, type Model, type Tensor } from '../tflite/index.ts';

export interface TensorSignature {
  name: string;
  dtype: string;
  /** Empty when the model leaves it to run time (the CPU SSD post-processing outputs do). */
  shape: number[];
  scale: number[];
  zeroPoint: number[];
}

export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/** What the pairing needs to know about one stored `.tflite` file. */
export interface TwinCandidate {
  /** Whatever identifies the file to the caller: a sha256, a path. */
  key: string;
  name: string;
  compiled: boolean;
  signature: ModelSignature;
}

export interface TwinMatch<C extends TwinCandidate> {
  twin: C;
  by: 'name' | 'signature';
}

/** The model layer's test, under the name the twin pairing reads best with. */
export const isCompiledForEdgeTpu: (model: Model) => boolean = hasEdgeTpuOps;

function tensorSignature(tensor: Tensor): TensorSignature {
  return {
    name: tensor.name,
    dtype: tensor.dtype,
    shape: [...tensor.shape],
    scale: [...(tensor.quantization?.scale ?? [])],
    zeroPoint: [...(tensor.quantization?.zeroPoint ?? [])],
  };
}

/** The main subgraph's inputs and outputs. */
export function modelSignature(model: Model): ModelSignature {
  const graph = model.subgraphs[0];
  if (!graph) return { inputs: [], outputs: [] };
  const at = (i: number): TensorSignature => {
    const tensor = graph.tensors[i];
    if (!tensor) throw new ReefError('INVALID_ARGUMENT', `the model names tensor ${i}, which it does not have`);
    return tensorSignature(tensor);
  };
  return { inputs: graph.inputs.map(at), outputs: graph.outputs.map(at) };
}

/** `x_edgetpu.tflite` (or `x-edgetpu.tflite`) → `x.tflite`; undefined for a name without the suffix. */
export function twinFileName(compiledName: string): string | undefined {
  const match = /^(.*)[_-]edgetpu\.tflite$/i.exec(compiledName);
  return match?.[1] ? `${match[1]}.tflite` : undefined;
}

function sameShape(a: number[], b: number[]): boolean {
  // An empty shape or a -1 dimension is filled in at run time, so it fits any size.
  if (a.length === 0 || b.length === 0) return true;
  return a.length === b.length && a.every((d, i) => d === b[i] || d < 0 || (b[i] ?? 0) < 0);
}

function sameNumbers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function tensorDifference(side: string, a: TensorSignature, b: TensorSignature): string | undefined {
  if (a.name !== b.name) return `${side} "${a.name}" is named "${b.name}"`;
  if (a.dtype !== b.dtype) return `${side} "${a.name}" is ${a.dtype}, not ${b.dtype}`;
  if (!sameShape(a.shape, b.shape)) return `${side} "${a.name}" is [${a.shape}], not [${b.shape}]`;
  if (!sameNumbers(a.scale, b.scale) || !sameNumbers(a.zeroPoint, b.zeroPoint))
    return `${side} "${a.name}" is quantized differently`;
  return undefined;
}

/** The first way two signatures differ, in words; undefined when they match. */
export function signatureDifference(compiled: ModelSignature, cpu: ModelSignature): string | undefined {
  for (const side of ['inputs', 'outputs'] as const) {
    const word = side === 'inputs' ? 'input' : 'output';
    if (compiled[side].length !== cpu[side].length)
      return `${compiled[side].length} ${side} against ${cpu[side].length}`;
    for (const [i, a] of compiled[side].entries()) {
      const diff = tensorDifference(word, a, cpu[side][i]!);
      if (diff) return diff;
    }
  }
  return undefined;
}

function describeTensor(t: TensorSignature): string {
  const quant = t.scale.length ? ` q(${t.scale[0]}, ${t.zeroPoint[0]})` : '';
  return `${t.name || '(unnamed)'} ${t.dtype}[${t.shape.join(',')}]${quant}`;
}

/** One line: `input uint8[1,224,224,3] q(0.0078125, 128) → out uint8[1,1001] q(…)`. */
export function describeSignature(signature: ModelSignature): string {
  return `${signature.inputs.map(describeTensor).join(', ')} → ${signature.outputs.map(describeTensor).join(', ')}`;
}

/** Refuses a CPU twin whose I/O does not match the compiled model's, naming both signatures. */
export function checkCpuTwin(
  compiled: { name: string; signature: ModelSignature },
  cpu: { name: string; signature: ModelSignature },
): void {
  const diff = signatureDifference(compiled.signature, cpu.signature);
  if (!diff) return;
  throw new ReefError(
    'INVALID_ARGUMENT',
    `${cpu.name} is not the CPU twin of ${compiled.name}: ${diff}.\n` +
      `  ${compiled.name}: ${describeSignature(compiled.signature)}\n` +
      `  ${cpu.name}: ${describeSignature(cpu.signature)}`,
    { reason: 'twin-mismatch' },
  );
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * The CPU twin of a compiled model among candidates: the file named like it (when its signature
 * agrees), else the one CPU model with the same signature. Two equally good matches pair with
 * neither, so a wrong twin is never picked quietly.
 */
export function findCpuTwin<C extends TwinCandidate>(
  compiled: TwinCandidate,
  candidates: readonly C[],
): TwinMatch<C> | undefined {
  const fits = candidates.filter(
    (c) => !c.compiled && c.key !== compiled.key && !signatureDifference(compiled.signature, c.signature),
  );
  const wanted = twinFileName(baseName(compiled.name));
  const byName = wanted === undefined ? undefined : fits.find((c) => baseName(c.name) === wanted);
  if (byName) return { twin: byName, by: 'name' };
  return fits.length === 1 ? { twin: fits[0]!, by: 'signature' } : undefined;
}
