/**
 * A `--labels` file that does not fit the model (COCO's 90 on a 1001-class ImageNet classifier)
 * would name every result wrongly without any sign of it: a warning, or an error with `--strict`.
 */
import { ReefError } from '../../lib/errors.ts';
import type { TensorInfo } from '../../lib/runtime/index.ts';
import type { Labels } from '../../lib/tasks/index.ts';

/** How many classes the model's output tells apart, when its shape says (classify, segment scores). */
export function outputClasses(task: string, outputs: readonly TensorInfo[]): number | undefined {
  const first = outputs[0];
  if (!first) return undefined;
  if (task === 'classify') return first.shape.at(-1);
  // A segmenter's per-class scores end in the class axis; an arg-max map ([1,H,W]) does not say.
  if (task === 'segment' && first.shape.length === 4) return first.shape.at(-1);
  return undefined;
}

/** Label count as class ids go: `id label` files may leave gaps, so the highest id counts. */
export function labelCount(labels: Labels): number {
  let top = -1;
  for (const id of labels.keys()) top = Math.max(top, id);
  return top + 1;
}

/** The mismatch in words, or undefined when the labels fit (or the output does not say). */
export function labelsMismatch(
  file: string,
  labels: Labels,
  task: string,
  outputs: readonly TensorInfo[],
): string | undefined {
  const classes = outputClasses(task, outputs);
  const count = labelCount(labels);
  if (classes === undefined || classes <= 0 || count === classes) return undefined;
  return `${file} has ${count} labels but the model's output has ${classes} classes, so results would be named wrongly`;
}

/** Warns (stderr) or, with strict, refuses. */
export function checkLabelsFit(mismatch: string | undefined, strict: boolean, warn: (text: string) => void): void {
  if (!mismatch) return;
  if (strict) throw new ReefError('INVALID_ARGUMENT', mismatch, { reason: 'labels-mismatch' });
  warn(`reef run: warning: ${mismatch} (--strict makes this an error)`);
}
