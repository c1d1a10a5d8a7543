/**
 * The live imprinting preview (weight imprinting as pycoral's ImprintingEngine): each class is the
 * running sum of its L2-normalised embeddings, a prediction is the cosine with each class's mean
 * direction. Adding a sample costs one vector sum, so the preview follows recording live, before
 * any backprop. Plain arrays, no tfjs: it runs in the accelerator worker beside the extractor.
 */
import { ReefError } from '../errors.ts';

export interface PreviewPrediction {
  /** Index of the best class. */
  label: number;
  /** Cosine similarity with each class's mean direction (classes without samples: -1). */
  scores: number[];
}

export class ImprintingPreview {
  readonly dim: number;
  readonly #sums = new Map<number, Float64Array>();
  readonly #counts = new Map<number, number>();

  constructor(dim: number) {
    if (!(dim > 0))
      throw new ReefError('INVALID_ARGUMENT', `embedding size ${dim} is not positive`, { reason: 'bad-dim' });
    this.dim = dim;
  }

  /** Samples per class so far. */
  counts(): Map<number, number> {
    return new Map(this.#counts);
  }

  add(label: number, embedding: ArrayLike<number>): void {
    if (!Number.isInteger(label) || label < 0)
      throw new ReefError('INVALID_ARGUMENT', `class index ${label} is not a non-negative integer`, {
        reason: 'bad-label',
      });
    const unit = this.#unit(embedding);
    const sum = this.#sums.get(label) ?? new Float64Array(this.dim);
    for (let d = 0; d < this.dim; d++) sum[d]! += unit[d]!;
    this.#sums.set(label, sum);
    this.#counts.set(label, (this.#counts.get(label) ?? 0) + 1);
  }

  /** Whether a prediction means anything: at least two classes hold samples. */
  ready(): boolean {
    return this.#sums.size >= 2;
  }

  predict(embedding: ArrayLike<number>): PreviewPrediction {
    if (!this.ready())
      throw new ReefError('FAILED_PRECONDITION', 'the preview needs samples in at least two classes', {
        reason: 'preview-not-ready',
      });
    const unit = this.#unit(embedding);
    const size = Math.max(...this.#sums.keys()) + 1;
    const scores = new Array<number>(size).fill(-1);
    for (const [label, sum] of this.#sums) {
      let dot = 0;
      let norm = 0;
      for (let d = 0; d < this.dim; d++) {
        dot += sum[d]! * unit[d]!;
        norm += sum[d]! * sum[d]!;
      }
      scores[label] = norm > 0 ? dot / Math.sqrt(norm) : -1;
    }
    return { label: scores.indexOf(Math.max(...scores)), scores };
  }

  #unit(embedding: ArrayLike<number>): Float64Array {
    if (embedding.length !== this.dim)
      throw new ReefError('INVALID_ARGUMENT', `an embedding of ${embedding.length} values, expected ${this.dim}`, {
        reason: 'bad-embedding-shape',
      });
    const out = Float64Array.from(embedding);
    let norm = 0;
    for (const v of out) {
      if (!Number.isFinite(v))
        throw new ReefError('INVALID_ARGUMENT', 'an embedding holds NaN or infinity', {
          reason: 'non-finite-embedding',
        });
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < out.length; d++) out[d]! /= norm;
    return out;
  }
}
