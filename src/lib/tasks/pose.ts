/**
 * Pose: MoveNet single-pose output ([1,1,17,3]: y, x, score in 0..1 of the input) or PoseNet
 * decoder outputs (keypoints [1,N,17,2] y,x in input pixels, keypoint scores [1,N,17], pose scores
 * [1,N], count [1]) → keypoints in image pixels, plus the COCO skeleton to draw them.
 */
import { ReefError } from '../errors.ts';
import { dequantize, type Tensor } from '../runtime/index.ts';
import type { Rect } from './resize.ts';

export { KEYPOINT_NAMES, SKELETON } from './keypoints.ts';

export interface Keypoint {
  x: number;
  y: number;
  score: number;
}

export interface Pose {
  score: number;
  keypoints: Keypoint[];
}

export interface PoseOptions {
  region: Rect;
  inputWidth: number;
  inputHeight: number;
  threshold?: number;
}

function toImage(u: number, v: number, region: Rect): { x: number; y: number } {
  return { x: region.x + u * region.width, y: region.y + v * region.height };
}

export function decodePoses(outputs: readonly Tensor[], options: PoseOptions): Pose[] {
  const first = outputs[0];
  if (!first) throw new ReefError('INVALID_ARGUMENT', 'pose: model has no outputs', { reason: 'not-a-pose-model' });
  if (outputs.length === 1 && first.shape.at(-1) === 3 && first.shape.at(-2) === 17) {
    const values = dequantize(first);
    const keypoints: Keypoint[] = [];
    for (let k = 0; k < 17; k++) {
      const [v, u, score] = [values[k * 3]!, values[k * 3 + 1]!, values[k * 3 + 2]!];
      keypoints.push({ ...toImage(u, v, options.region), score });
    }
    const score = keypoints.reduce((s, k) => s + k.score, 0) / keypoints.length;
    return [{ score, keypoints }];
  }
  if (outputs.length >= 4 && first.shape.at(-1) === 2 && first.shape.at(-2) === 17) {
    const coords = dequantize(first);
    const keypointScores = dequantize(outputs[1]!);
    const poseScores = dequantize(outputs[2]!);
    const count = Math.min(Math.round(dequantize(outputs[3]!)[0] ?? 0), poseScores.length);
    const threshold = options.threshold ?? 0;
    const poses: Pose[] = [];
    for (let p = 0; p < count; p++) {
      if (poseScores[p]! < threshold) continue;
      const keypoints: Keypoint[] = [];
      for (let k = 0; k < 17; k++) {
        const o = (p * 17 + k) * 2;
        const point = toImage(coords[o + 1]! / options.inputWidth, coords[o]! / options.inputHeight, options.region);
        keypoints.push({ ...point, score: keypointScores[p * 17 + k]! });
      }
      poses.push({ score: poseScores[p]!, keypoints });
    }
    return poses;
  }
  throw new ReefError(
    'INVALID_ARGUMENT',
    `pose: outputs [${outputs.map((o) => `[${o.shape.join(',')}]`).join(' ')}] are neither MoveNet nor PoseNet`,
    { reason: 'not-a-pose-model' },
  );
}
