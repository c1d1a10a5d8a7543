/** Classification: dequantized scores → top-k above a threshold, with labels. */
import { ReefError } from '../errors.ts';
import { dequantize, type Tensor } from '../runtime/index.ts';
import { alignLabels, type Labels } from './labels.ts';

export interface ClassScore {
  /** Index in the model's output. */
  id: number;
  label: string;
  score: number;
}

export interface ClassifyOptions {
  topK?: number;
  threshold?: number;
  labels?: Labels;
}

export function classify(output: Tensor, options: ClassifyOptions = {}): ClassScore[] {
  const scores = dequantize(output);
  if (scores.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', `classify: output ${output.name} is empty`, { reason: 'empty-output' });
  }
  const topK = options.topK ?? 5;
  const threshold = options.threshold ?? 0;
  const labels = options.labels ? alignLabels(options.labels, scores.length) : undefined;
  const order = Array.from(scores.keys())
    .filter((i) => scores[i]! >= threshold)
    .sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, topK).map((id) => ({ id, label: labels?.get(id) ?? String(id), score: scores[id]! }));
}
