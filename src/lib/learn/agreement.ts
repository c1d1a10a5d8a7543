/**
 * Top-1 agreement of a quantized model with its float original, with ties counted honestly. An
 * 8-bit softmax moves in steps of 1/256: two classes whose float probabilities differ by less
 * than a step can come out equal. Such a check image is `tied`: the quantized model does not say
 * which class wins, so it is not counted as agreeing (nor is the first of the tied classes taken
 * as its answer, which would make the figure depend on class order).
 */

export type Top1Outcome = 'agree' | 'tied' | 'differs';

export interface Top1Agreement {
  /** The float model's top-1 class has the highest quantized score, alone. */
  agree: number;
  /** The float model's top-1 class shares the highest quantized score with another class. */
  tied: number;
  total: number;
}

export function compareTop1(floatTop: number, scores: ArrayLike<number>): Top1Outcome {
  let best = -Infinity;
  for (let c = 0; c < scores.length; c++) best = Math.max(best, scores[c]!);
  if (scores[floatTop] !== best) return 'differs';
  let atBest = 0;
  for (let c = 0; c < scores.length; c++) if (scores[c] === best) atBest++;
  return atBest === 1 ? 'agree' : 'tied';
}

export function tallyTop1(outcomes: readonly Top1Outcome[]): Top1Agreement {
  return {
    agree: outcomes.filter((o) => o === 'agree').length,
    tied: outcomes.filter((o) => o === 'tied').length,
    total: outcomes.length,
  };
}
