/**
 * Embedding datasets for head training: a flat Float32Array of n × dim vectors with integer
 * labels, plus the pure helpers around it (stratified split, class weights, seeded shuffles).
 */
import { ReefError } from '../errors.ts';

export interface EmbeddingSet {
  /** n × dim, row-major. */
  embeddings: Float32Array;
  dim: number;
  labels: Int32Array;
  numClasses: number;
}

export function validateSet(set: EmbeddingSet): void {
  const n = set.labels.length;
  if (set.dim <= 0 || set.embeddings.length !== n * set.dim)
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${set.embeddings.length} values do not make ${n} × ${set.dim} embeddings`,
      {
        reason: 'bad-embedding-shape',
      },
    );
  if (set.numClasses < 2)
    throw new ReefError('INVALID_ARGUMENT', 'training needs at least 2 classes', { reason: 'too-few-classes' });
  const counts = classCounts(set);
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new ReefError('INVALID_ARGUMENT', `class ${empty} has no samples`, { reason: 'empty-class' });
  for (const v of set.embeddings)
    if (!Number.isFinite(v))
      throw new ReefError('INVALID_ARGUMENT', 'an embedding holds NaN or infinity', { reason: 'non-finite-embedding' });
}

export function classCounts(set: EmbeddingSet): number[] {
  const counts = new Array<number>(set.numClasses).fill(0);
  for (const label of set.labels) {
    if (label < 0 || label >= set.numClasses)
      throw new ReefError('INVALID_ARGUMENT', `label ${label} is outside 0..${set.numClasses - 1}`, {
        reason: 'bad-label',
      });
    counts[label]!++;
  }
  return counts;
}

/** Mulberry32: a small seeded generator so splits and augmentations are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function subset(set: EmbeddingSet, indices: readonly number[]): EmbeddingSet {
  const embeddings = new Float32Array(indices.length * set.dim);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, dst) => {
    embeddings.set(set.embeddings.subarray(src * set.dim, (src + 1) * set.dim), dst * set.dim);
    labels[dst] = set.labels[src]!;
  });
  return { embeddings, dim: set.dim, labels, numClasses: set.numClasses };
}

/**
 * Splits each class separately so validation sees every class; a class with a single sample
 * keeps it for training. Returns row indices.
 */
export function stratifiedIndices(
  labels: Int32Array,
  numClasses: number,
  validationFraction: number,
  seed: number,
): { train: number[]; validation: number[] } {
  const all = [...labels.keys()];
  if (validationFraction <= 0) return { train: all, validation: [] };
  const random = seededRandom(seed);
  const train: number[] = [];
  const validation: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const members = shuffled(
      all.filter((i) => labels[i] === c),
      random,
    );
    const take = members.length > 1 ? Math.max(1, Math.round(members.length * validationFraction)) : 0;
    validation.push(...members.slice(0, take));
    train.push(...members.slice(take));
  }
  return { train: shuffled(train, random), validation };
}

export function stratifiedSplit(
  set: EmbeddingSet,
  validationFraction: number,
  seed: number,
): { train: EmbeddingSet; validation: EmbeddingSet | undefined } {
  const { train, validation } = stratifiedIndices(set.labels, set.numClasses, validationFraction, seed);
  return { train: subset(set, train), validation: validation.length ? subset(set, validation) : undefined };
}

/**
 * Whether a held-out set is big enough to steer training. A handful of samples measures noise:
 * early stopping on it ends training at random (4 images, 1 held out, flipping between 0 and
 * 100 %). Below two per class, train on everything and let the training loss decide.
 */
export function isUsefulValidationSize(validationCount: number, numClasses: number): boolean {
  return validationCount >= 2 * numClasses;
}

/** Weights n / (k × count_c): every class contributes equally to the loss. */
export function balancedClassWeights(set: EmbeddingSet): number[] {
  const counts = classCounts(set);
  const n = set.labels.length;
  return counts.map((c) => (c ? n / (set.numClasses * c) : 0));
}
