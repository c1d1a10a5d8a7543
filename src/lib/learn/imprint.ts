/**
 * Weight imprinting (Qi et al., as libcoral's ImprintingEngine): each class's weight vector is the
 * L2-normalised mean of its L2-normalised embeddings. No training, so it is instant. The result is
 * an ordinary Dense softmax head, so quantization and composition are the same as for backprop.
 */
import { validateSet, type EmbeddingSet } from './dataset.ts';
import { buildHead } from './head.ts';
import { tf } from './tfjs.ts';

export interface ImprintOptions {
  /**
   * Logit of a perfect cosine match. Softmax over cos × scale; top-1 does not depend on it, the
   * confidence does (libcoral uses a comparable fixed temperature).
   */
  scale?: number;
}

/** Returns one unit-length row per class (numClasses × dim). */
export function imprintWeights(set: EmbeddingSet): Float32Array {
  validateSet(set);
  const { dim, numClasses } = set;
  const sums = new Float64Array(numClasses * dim);
  for (let i = 0; i < set.labels.length; i++) {
    const row = set.embeddings.subarray(i * dim, (i + 1) * dim);
    let norm = 0;
    for (const v of row) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    const base = set.labels[i]! * dim;
    for (let d = 0; d < dim; d++) sums[base + d]! += row[d]! / norm;
  }
  const weights = new Float32Array(numClasses * dim);
  for (let c = 0; c < numClasses; c++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += sums[c * dim + d]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) weights[c * dim + d] = sums[c * dim + d]! / norm;
  }
  return weights;
}

/**
 * A Dense softmax head whose logits are scale × cos(embedding, class mean) for an embedding of
 * typical length: weights are divided by the mean embedding norm so the head needs no
 * L2_NORMALIZATION op (the argmax is the same, since the norm is shared by all classes).
 */
export function imprintHead(set: EmbeddingSet, options: ImprintOptions = {}): tf.Sequential {
  const unit = imprintWeights(set);
  const { dim, numClasses } = set;
  let meanNorm = 0;
  for (let i = 0; i < set.labels.length; i++) {
    let n = 0;
    for (let d = 0; d < dim; d++) n += set.embeddings[i * dim + d]! ** 2;
    meanNorm += Math.sqrt(n) / set.labels.length;
  }
  const factor = (options.scale ?? 16) / (meanNorm || 1);
  // Dense kernels are dim × numClasses (input-major): transpose the class rows.
  const kernel = new Float32Array(dim * numClasses);
  for (let c = 0; c < numClasses; c++)
    for (let d = 0; d < dim; d++) kernel[d * numClasses + c] = unit[c * dim + d]! * factor;
  const model = buildHead({ inputDim: dim, numClasses });
  const values = [tf.tensor2d(kernel, [dim, numClasses]), tf.zeros([numClasses])];
  model.setWeights(values);
  tf.dispose(values);
  return model;
}
