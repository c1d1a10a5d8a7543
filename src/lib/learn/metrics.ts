/**
 * Honest training metrics: accuracy, confusion matrix and per-class precision/recall measured on a
 * held-out split the head never saw, and warnings about datasets whose numbers would mislead
 * (too few samples, one class dwarfing another, the same frame recorded over and over).
 */

/** Below this many samples a class is flagged: a handful of pictures rarely covers a class. */
export const FEW_SAMPLES = 10;
/** A class this many times larger than another is flagged: the head learns to favour it. */
export const IMBALANCE_RATIO = 5;
/** Cosine similarity from which two embeddings count as the same picture (a frame held still). */
export const NEAR_DUPLICATE_COSINE = 0.995;

export interface ClassMetrics {
  /** Of the held-out samples predicted as this class, the share that are; null when none were. */
  precision: number | null;
  /** Of this class's held-out samples, the share predicted right; null when it has none. */
  recall: number | null;
  /** Held-out samples of this class. */
  support: number;
}

export interface HeldOutMetrics {
  /** Rows are true classes, columns predictions; held-out samples only. */
  confusion: number[][];
  accuracy: number;
  perClass: ClassMetrics[];
  count: number;
}

export type DatasetWarning =
  | { kind: 'few-samples'; message: string; classIndex: number; count: number }
  | { kind: 'imbalanced'; message: string; larger: number; smaller: number; ratio: number }
  | { kind: 'near-duplicates'; message: string; classIndex: number; count: number };

export interface TrainingMetrics {
  trainCount: number;
  /** Accuracy on the samples the head learned from (flattering by construction). */
  trainAccuracy: number;
  /** Measured on the held-out split; null when there is none (see `noSplit`). */
  heldOut: HeldOutMetrics | null;
  /** Why no held-out split was made, in words the page shows instead of a matrix. */
  noSplit: string | null;
  warnings: DatasetWarning[];
}

/** Confusion matrix, accuracy and per-class precision/recall of `predicted` against `labels`. */
export function heldOutMetrics(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): HeldOutMetrics {
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const truth = labels[i]!;
    const guess = predicted[i]!;
    confusion[truth]![guess]!++;
    if (truth === guess) correct++;
  }
  const perClass = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((sum, r) => sum + r[c]!, 0);
    return {
      precision: predictedAs ? row[c]! / predictedAs : null,
      recall: support ? row[c]! / support : null,
      support,
    };
  });
  return { confusion, accuracy: labels.length ? correct / labels.length : 0, perClass, count: labels.length };
}

/** Why a stratified split cannot be made, or null when every class can give one sample away. */
export function splitImpossibleReason(counts: readonly number[], classes: readonly string[]): string | null {
  const short = counts.map((n, c) => ({ n, name: classes[c] ?? `class ${c}` })).filter((c) => c.n < 2);
  if (!short.length) return null;
  const names = short.map((c) => `"${c.name}" has ${c.n === 1 ? 'only 1 sample' : 'no samples'}`).join(', ');
  return (
    `${names}: a held-out check needs at least 2 samples in every class (one to learn from, one to test on), ` +
    'so there is no honest accuracy or confusion matrix yet. Add samples and train again.'
  );
}

/** Samples of each class whose embedding nearly equals an earlier one of the same class. */
export function nearDuplicateCounts(
  embeddings: Float32Array,
  dim: number,
  labels: ArrayLike<number>,
  numClasses: number,
  threshold = NEAR_DUPLICATE_COSINE,
): number[] {
  const n = labels.length;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += embeddings[i * dim + d]! ** 2;
    norms[i] = Math.sqrt(s);
  }
  const counts = new Array<number>(numClasses).fill(0);
  const seen: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    const duplicate = seen[c]!.some((j) => {
      if (norms[i] === 0 || norms[j] === 0) return norms[i] === norms[j];
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += embeddings[i * dim + d]! * embeddings[j * dim + d]!;
      return dot / (norms[i]! * norms[j]!) >= threshold;
    });
    if (duplicate) counts[c]!++;
    else seen[c]!.push(i);
  }
  return counts;
}

/** Warnings about the dataset as a whole (every sample, before any split). */
export function datasetWarnings(
  classes: readonly string[],
  labels: ArrayLike<number>,
  embeddings: Float32Array,
  dim: number,
): DatasetWarning[] {
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const warnings: DatasetWarning[] = [];
  counts.forEach((count, c) => {
    if (count < FEW_SAMPLES)
      warnings.push({
        kind: 'few-samples',
        classIndex: c,
        count,
        message: `"${classes[c]}" has only ${count} sample${count === 1 ? '' : 's'}: record at least ${FEW_SAMPLES} from different angles, or the numbers below mean little.`,
      });
  });
  const largest = counts.indexOf(Math.max(...counts));
  const smallest = counts.indexOf(Math.min(...counts));
  const ratio = counts[smallest]! > 0 ? counts[largest]! / counts[smallest]! : Infinity;
  if (ratio >= IMBALANCE_RATIO)
    warnings.push({
      kind: 'imbalanced',
      larger: largest,
      smaller: smallest,
      ratio,
      message: `"${classes[largest]}" has ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'far'} more samples than "${classes[smallest]}": the model will lean towards it. Even them out.`,
    });
  nearDuplicateCounts(embeddings, dim, labels, classes.length).forEach((count, c) => {
    if (count > 0)
      warnings.push({
        kind: 'near-duplicates',
        classIndex: c,
        count,
        message: `${count} of the ${counts[c]} "${classes[c]}" samples are near-duplicates of another (the same frame held still): move the object or the camera while recording.`,
      });
  });
  return warnings;
}
