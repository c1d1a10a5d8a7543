/**
 * TFLite_Detection_PostProcess as a Reef kernel: SSD box decoding against anchors, then fast
 * (one class per anchor) or regular (per-class) non-maximum suppression. LiteRT.js cannot hand out
 * this op's outputs (their shapes are only known at run time), so Reef runs it in TypeScript.
 * Semantics follow TFLite's reference kernel: scores >= threshold, IoU > threshold suppresses,
 * class ids exclude the background column, unused output slots are zero.
 */
import { toObject } from 'flatbuffers/mjs/flexbuffers.js';
import { ReefError } from '../../errors.ts';

export interface DetectionPostProcessOptions {
  maxDetections: number;
  maxClassesPerDetection: number;
  detectionsPerClass: number;
  useRegularNms: boolean;
  nmsScoreThreshold: number;
  nmsIouThreshold: number;
  numClasses: number;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
}

function numberField(map: Record<string, unknown>, key: string, fallback?: number): number {
  const v = map[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (fallback !== undefined) return fallback;
  throw new ReefError('INVALID_ARGUMENT', `TFLite_Detection_PostProcess: option ${key} is missing`, {
    reason: 'bad-custom-options',
  });
}

/** Reads the op's custom options (a FlexBuffer map written by the TFLite converter). */
export function parseDetectionPostProcessOptions(customOptions: Uint8Array): DetectionPostProcessOptions {
  let map: unknown;
  try {
    map = toObject(customOptions.slice().buffer);
  } catch (error) {
    throw new ReefError('INVALID_ARGUMENT', 'TFLite_Detection_PostProcess: custom options are not a FlexBuffer map', {
      cause: error,
      reason: 'bad-custom-options',
    });
  }
  if (typeof map !== 'object' || map === null) {
    throw new ReefError('INVALID_ARGUMENT', 'TFLite_Detection_PostProcess: custom options are not a map', {
      reason: 'bad-custom-options',
    });
  }
  const m = map as Record<string, unknown>;
  return {
    maxDetections: numberField(m, 'max_detections'),
    maxClassesPerDetection: numberField(m, 'max_classes_per_detection', 1),
    detectionsPerClass: numberField(m, 'detections_per_class', 100),
    useRegularNms: numberField(m, 'use_regular_nms', 0) !== 0,
    nmsScoreThreshold: numberField(m, 'nms_score_threshold'),
    nmsIouThreshold: numberField(m, 'nms_iou_threshold'),
    numClasses: numberField(m, 'num_classes'),
    yScale: numberField(m, 'y_scale'),
    xScale: numberField(m, 'x_scale'),
    hScale: numberField(m, 'h_scale'),
    wScale: numberField(m, 'w_scale'),
  };
}

/** Number of output rows: max_detections × max_classes_per_detection (fast NMS) or max_detections. */
export function detectionRows(options: DetectionPostProcessOptions): number {
  return options.useRegularNms ? options.maxDetections : options.maxDetections * options.maxClassesPerDetection;
}

export interface DetectionPostProcessInputs {
  /** [anchors, 4]: ty, tx, th, tw. */
  boxEncodings: Float32Array;
  /** [anchors, classesWithBackground]. */
  classScores: Float32Array;
  /** [anchors, 4]: ycenter, xcenter, h, w. */
  anchors: Float32Array;
  numAnchors: number;
  /** Columns of classScores; columns before the last `numClasses` are background. */
  scoreColumns: number;
}

export interface DetectionPostProcessOutputs {
  /** [rows, 4]: ymin, xmin, ymax, xmax. */
  boxes: Float32Array;
  classes: Float32Array;
  scores: Float32Array;
  count: Float32Array;
}

export function decodeBoxes(
  encodings: Float32Array,
  anchors: Float32Array,
  numAnchors: number,
  o: DetectionPostProcessOptions,
): Float32Array {
  const boxes = new Float32Array(numAnchors * 4);
  for (let i = 0; i < numAnchors; i++) {
    const [ty, tx, th, tw] = [encodings[i * 4]!, encodings[i * 4 + 1]!, encodings[i * 4 + 2]!, encodings[i * 4 + 3]!];
    const [ay, ax, ah, aw] = [anchors[i * 4]!, anchors[i * 4 + 1]!, anchors[i * 4 + 2]!, anchors[i * 4 + 3]!];
    const yc = (ty / o.yScale) * ah + ay;
    const xc = (tx / o.xScale) * aw + ax;
    const halfH = 0.5 * Math.exp(th / o.hScale) * ah;
    const halfW = 0.5 * Math.exp(tw / o.wScale) * aw;
    boxes[i * 4] = yc - halfH;
    boxes[i * 4 + 1] = xc - halfW;
    boxes[i * 4 + 2] = yc + halfH;
    boxes[i * 4 + 3] = xc + halfW;
  }
  return boxes;
}

function iou(boxes: Float32Array, a: number, b: number): number {
  const [aymin, axmin, aymax, axmax] = [
    Math.min(boxes[a * 4]!, boxes[a * 4 + 2]!),
    Math.min(boxes[a * 4 + 1]!, boxes[a * 4 + 3]!),
    Math.max(boxes[a * 4]!, boxes[a * 4 + 2]!),
    Math.max(boxes[a * 4 + 1]!, boxes[a * 4 + 3]!),
  ];
  const [bymin, bxmin, bymax, bxmax] = [
    Math.min(boxes[b * 4]!, boxes[b * 4 + 2]!),
    Math.min(boxes[b * 4 + 1]!, boxes[b * 4 + 3]!),
    Math.max(boxes[b * 4]!, boxes[b * 4 + 2]!),
    Math.max(boxes[b * 4 + 1]!, boxes[b * 4 + 3]!),
  ];
  const areaA = (aymax - aymin) * (axmax - axmin);
  const areaB = (bymax - bymin) * (bxmax - bxmin);
  if (areaA <= 0 || areaB <= 0) return 0;
  const ih = Math.max(0, Math.min(aymax, bymax) - Math.max(aymin, bymin));
  const iw = Math.max(0, Math.min(axmax, bxmax) - Math.max(axmin, bxmin));
  const inter = ih * iw;
  return inter / (areaA + areaB - inter);
}

/** Greedy NMS over candidates with score >= threshold, best first (ties: lower index first). */
export function nonMaxSuppression(
  boxes: Float32Array,
  scores: Float32Array,
  maxOutputs: number,
  scoreThreshold: number,
  iouThreshold: number,
): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= scoreThreshold) candidates.push(i);
  candidates.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const selected: number[] = [];
  const active = new Uint8Array(candidates.length).fill(1);
  for (let i = 0; i < candidates.length && selected.length < maxOutputs; i++) {
    if (!active[i]) continue;
    const box = candidates[i]!;
    selected.push(box);
    for (let j = i + 1; j < candidates.length; j++) {
      if (active[j] && iou(boxes, box, candidates[j]!) > iouThreshold) active[j] = 0;
    }
  }
  return selected;
}

/** The k best classes by score, best first; equal scores keep the lower class first (a stable sort's order). */
export function topClasses(numClasses: number, k: number, score: (cls: number) => number): number[] {
  const best: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const s = score(c);
    if (best.length === k && s <= score(best[k - 1]!)) continue;
    let pos = best.length;
    while (pos > 0 && s > score(best[pos - 1]!)) pos--;
    best.splice(pos, 0, c);
    if (best.length > k) best.pop();
  }
  return best;
}

export function detectionPostProcess(
  input: DetectionPostProcessInputs,
  o: DetectionPostProcessOptions,
): DetectionPostProcessOutputs {
  const { numAnchors, scoreColumns } = input;
  const labelOffset = scoreColumns - o.numClasses;
  if (labelOffset < 0) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      `TFLite_Detection_PostProcess: ${scoreColumns} score columns for ${o.numClasses} classes`,
      { reason: 'bad-shape' },
    );
  }
  const boxes = decodeBoxes(input.boxEncodings, input.anchors, numAnchors, o);
  const rows = detectionRows(o);
  const out: DetectionPostProcessOutputs = {
    boxes: new Float32Array(rows * 4),
    classes: new Float32Array(rows),
    scores: new Float32Array(rows),
    count: new Float32Array(1),
  };
  const score = (anchor: number, cls: number): number => input.classScores[anchor * scoreColumns + labelOffset + cls]!;
  const put = (row: number, anchor: number, cls: number, s: number): void => {
    out.boxes.set(boxes.subarray(anchor * 4, anchor * 4 + 4), row * 4);
    out.classes[row] = cls;
    out.scores[row] = s;
  };
  if (!o.useRegularNms) {
    // Fast NMS ranks anchors by their best class only, so one max pass over the scores is enough;
    // the few anchors NMS keeps get their top classes afterwards. (Sorting every anchor's 90
    // classes cost more than the rest of an SSD frame's CPU work together.)
    const perAnchor = Math.min(o.maxClassesPerDetection, o.numClasses);
    const maxScores = new Float32Array(numAnchors);
    for (let a = 0; a < numAnchors; a++) {
      let best = score(a, 0);
      for (let c = 1; c < o.numClasses; c++) best = Math.max(best, score(a, c));
      maxScores[a] = best;
    }
    const selected = nonMaxSuppression(boxes, maxScores, o.maxDetections, o.nmsScoreThreshold, o.nmsIouThreshold);
    let row = 0;
    for (const anchor of selected) {
      for (const cls of topClasses(o.numClasses, perAnchor, (c) => score(anchor, c))) {
        put(row++, anchor, cls, score(anchor, cls));
      }
    }
    out.count[0] = row;
    return out;
  }
  // Regular NMS: per class, then the best max_detections over all classes.
  const picked: { anchor: number; cls: number; score: number }[] = [];
  const classScores = new Float32Array(numAnchors);
  for (let cls = 0; cls < o.numClasses; cls++) {
    for (let a = 0; a < numAnchors; a++) classScores[a] = score(a, cls);
    for (const anchor of nonMaxSuppression(
      boxes,
      classScores,
      o.detectionsPerClass,
      o.nmsScoreThreshold,
      o.nmsIouThreshold,
    )) {
      picked.push({ anchor, cls, score: classScores[anchor]! });
    }
  }
  picked.sort((a, b) => b.score - a.score);
  const kept = picked.slice(0, o.maxDetections);
  kept.forEach((d, row) => put(row, d.anchor, d.cls, d.score));
  out.count[0] = kept.length;
  return out;
}
