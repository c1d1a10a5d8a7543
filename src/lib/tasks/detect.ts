/**
 * Detection: the four outputs of TFLite_Detection_PostProcess (boxes [1,N,4] as ymin,xmin,ymax,xmax
 * in 0..1 of the model input, classes [1,N], scores [1,N], count [1]) → objects in image pixels.
 */
import { ReefError } from '../errors.ts';
import { dequantize, type Tensor } from '../runtime/index.ts';
import type { Labels } from './labels.ts';
import type { Rect } from './resize.ts';

export interface Box {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export interface DetectedObject {
  id: number;
  label: string;
  score: number;
  box: Box;
}

export interface DetectOptions {
  threshold?: number;
  labels?: Labels;
  /** Image pixels covered by the model input (from preprocessing). */
  region: Rect;
  imageWidth: number;
  imageHeight: number;
}

function clamp(v: number, hi: number): number {
  return Math.min(hi, Math.max(0, v));
}

export function detect(outputs: readonly Tensor[], options: DetectOptions): DetectedObject[] {
  if (outputs.length < 4) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      `detect: expected 4 outputs (boxes, classes, scores, count), got ${outputs.length}`,
      {
        reason: 'not-a-detector',
      },
    );
  }
  const boxesTensor = outputs.find((t) => t.shape.at(-1) === 4 && t.data.length % 4 === 0) ?? outputs[0]!;
  const rest = outputs.filter((t) => t !== boxesTensor);
  const countTensor = rest.find((t) => t.data.length === 1) ?? rest[2]!;
  const [classesTensor, scoresTensor] = rest.filter((t) => t !== countTensor) as [Tensor, Tensor];
  const boxes = dequantize(boxesTensor);
  const classes = dequantize(classesTensor);
  const scores = dequantize(scoresTensor);
  const count = Math.min(Math.round(dequantize(countTensor)[0] ?? 0), scores.length, boxes.length / 4);
  const threshold = options.threshold ?? 0.4;
  const { region } = options;
  const objects: DetectedObject[] = [];
  for (let i = 0; i < count; i++) {
    const score = scores[i]!;
    if (score < threshold) continue;
    const id = Math.round(classes[i]!);
    const [ymin, xmin, ymax, xmax] = boxes.subarray(i * 4, i * 4 + 4) as unknown as [number, number, number, number];
    objects.push({
      id,
      label: options.labels?.get(id) ?? String(id),
      score,
      box: {
        xmin: clamp(region.x + xmin * region.width, options.imageWidth),
        ymin: clamp(region.y + ymin * region.height, options.imageHeight),
        xmax: clamp(region.x + xmax * region.width, options.imageWidth),
        ymax: clamp(region.y + ymax * region.height, options.imageHeight),
      },
    });
  }
  return objects;
}
