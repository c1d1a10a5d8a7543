import { encode } from 'flatbuffers/mjs/flexbuffers.js';
import { describe, expect, it } from 'vitest';
import {
  argMax,
  detectionPostProcess,
  lstmSequence,
  nonMaxSuppression,
  parseDetectionPostProcessOptions,
  parsePosenetDecoderOptions,
  posenetDecode,
  quantizeTo,
  type DetectionPostProcessOptions,
} from '../../../src/lib/runtime/index.ts';
import { ReefError } from '../../../src/lib/errors.ts';

const OPTIONS: DetectionPostProcessOptions = {
  maxDetections: 3,
  maxClassesPerDetection: 1,
  detectionsPerClass: 100,
  useRegularNms: false,
  nmsScoreThreshold: 0.3,
  nmsIouThreshold: 0.5,
  numClasses: 2,
  yScale: 10,
  xScale: 10,
  hScale: 5,
  wScale: 5,
};

describe('TFLite_Detection_PostProcess kernel', () => {
  it('reads its options from the FlexBuffer custom options', () => {
    const bytes = encode({
      max_detections: 10,
      max_classes_per_detection: 1,
      nms_score_threshold: 1e-8,
      nms_iou_threshold: 0.6,
      num_classes: 90,
      y_scale: 10,
      x_scale: 10,
      h_scale: 5,
      w_scale: 5,
      use_regular_nms: false,
    });
    const o = parseDetectionPostProcessOptions(bytes);
    expect(o).toMatchObject({ maxDetections: 10, numClasses: 90, nmsIouThreshold: 0.6, useRegularNms: false });
    expect(o.detectionsPerClass).toBe(100);
    expect(() => parseDetectionPostProcessOptions(encode({ max_detections: 3 }))).toThrow(ReefError);
  });

  it('decodes boxes against anchors, suppresses overlaps and skips the background column', () => {
    // Anchors (ycenter, xcenter, h, w): two overlapping at the top left, one apart.
    const anchors = new Float32Array([0.25, 0.25, 0.5, 0.5, 0.26, 0.26, 0.5, 0.5, 0.75, 0.75, 0.2, 0.2]);
    // Zero encodings: boxes are the anchors; a ty of 1 moves the third box by h/10.
    const boxEncodings = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    // Columns: background, class 0, class 1.
    const classScores = new Float32Array([0.9, 0.8, 0.1, 0.1, 0.7, 0.2, 0.0, 0.1, 0.6]);
    const out = detectionPostProcess({ boxEncodings, classScores, anchors, numAnchors: 3, scoreColumns: 3 }, OPTIONS);
    expect(out.count[0]).toBe(2);
    expect([...out.scores]).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.6, 6), 0]);
    expect([...out.classes]).toEqual([0, 1, 0]);
    expect([...out.boxes.subarray(0, 4)]).toEqual([0, 0, 0.5, 0.5]);
    const third = [...out.boxes.subarray(4, 8)];
    expect(third[0]).toBeCloseTo(0.65 + 0.02, 5);
    expect(third[2]).toBeCloseTo(0.85 + 0.02, 5);
  });

  it('regular NMS keeps per-class detections, best first', () => {
    const anchors = new Float32Array([0.25, 0.25, 0.5, 0.5, 0.26, 0.26, 0.5, 0.5]);
    const boxEncodings = new Float32Array(8);
    const classScores = new Float32Array([0, 0.9, 0.8, 0, 0.85, 0.4]);
    const out = detectionPostProcess(
      { boxEncodings, classScores, anchors, numAnchors: 2, scoreColumns: 3 },
      { ...OPTIONS, useRegularNms: true },
    );
    // Class 0: anchors overlap, only the 0.9 one survives; class 1: 0.8 (anchor 0) beats 0.4.
    expect(out.count[0]).toBe(2);
    expect([...out.classes.subarray(0, 2)]).toEqual([0, 1]);
    expect(out.scores[0]).toBeCloseTo(0.9, 6);
    expect(out.scores[1]).toBeCloseTo(0.8, 6);
  });

  it('NMS: threshold is inclusive, ties keep model order, IoU above the limit suppresses', () => {
    const boxes = new Float32Array([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3]);
    expect(nonMaxSuppression(boxes, new Float32Array([0.5, 0.5, 0.5]), 10, 0.5, 0.5)).toEqual([0, 2]);
    expect(nonMaxSuppression(boxes, new Float32Array([0.4, 0.6, 0.49]), 10, 0.5, 0.5)).toEqual([1]);
    expect(nonMaxSuppression(boxes, new Float32Array([0.9, 0.8, 0.7]), 1, 0, 0.5)).toEqual([0]);
  });
});

describe('ARG_MAX kernel', () => {
  it('returns int64 indices over the last axis; ties keep the first', () => {
    const values = new Uint8Array([1, 7, 7, 9, 0, 2]);
    expect([...argMax(values, [1, 2, 3], -1, 'int64')]).toEqual([1n, 0n]);
    expect([...argMax(values, [1, 2, 3], 1, 'int32')]).toEqual([1, 0, 0]);
    expect(() => argMax(values, [1, 2, 3], 3, 'int64')).toThrow(/axis/);
  });
});

describe('UNIDIRECTIONAL_SEQUENCE_LSTM kernel', () => {
  it('matches a hand-computed single-unit step', () => {
    const one = new Float32Array([1]);
    const out = lstmSequence(new Float32Array([2]), [1, 1, 1], false, {
      inputWeights: [one, one, one, one],
      recurrentWeights: [one, one, one, one],
      biases: [undefined, undefined, undefined, undefined],
      units: 1,
      features: 1,
      cellClip: 0,
      activation: 'TANH',
    });
    const s = 1 / (1 + Math.exp(-2));
    const c = s * Math.tanh(2);
    expect(out[0]).toBeCloseTo(s * Math.tanh(c), 6);
  });

  it('quantizes results to the target tensor', () => {
    const q = quantizeTo(new Float32Array([0, 1, -2]), {
      name: 'q',
      dtype: 'int8',
      shape: [3],
      scale: 0.01,
      zeroPoint: -1,
    });
    expect([...q]).toEqual([-1, 99, -128]);
  });
});

describe('PosenetDecoderOp kernel', () => {
  it('reads options, roots a pose at the heatmap peak and follows the mid-range offsets to its neighbours', () => {
    const o = parsePosenetDecoderOptions(
      encode({ max_detections: 2, score_threshold: 0.01, stride: 16, nms_radius: 10 }),
    );
    expect(o).toEqual({ maxDetections: 2, scoreThreshold: 0.01, stride: 16, nmsRadius: 10 });
    const H = 5;
    const W = 5;
    const heatmaps = new Float32Array(H * W * 17).fill(-10);
    // Nose peak at cell (2, 3), refined by a short offset of (+4, -2) pixels → (36, 46) px.
    heatmaps[(2 * W + 3) * 17] = 5;
    const shortOffsets = new Float32Array(H * W * 34);
    shortOffsets[(2 * W + 3) * 34] = 4;
    shortOffsets[(2 * W + 3) * 34 + 17] = -2;
    // Edge 0 (nose → left eye), forward: (-16, +8) pixels everywhere.
    const midOffsets = new Float32Array(H * W * 64);
    for (let c = 0; c < H * W; c++) {
      midOffsets[c * 64 + 0] = -16;
      midOffsets[c * 64 + 16] = 8;
    }
    heatmaps[(1 * W + 3) * 17 + 1] = 3;
    const out = posenetDecode({ heatmaps, shortOffsets, midOffsets, height: H, width: W }, o);
    expect(out.count[0]).toBe(1);
    expect([out.keypoints[0], out.keypoints[1]]).toEqual([expect.closeTo(36, 4), expect.closeTo(46, 4)]);
    expect([out.keypoints[2], out.keypoints[3]]).toEqual([expect.closeTo(20, 4), expect.closeTo(54, 4)]);
    expect(out.keypointScores[0]).toBeGreaterThan(out.keypointScores[5]!);
    expect(out.poseScores[0]).toBeGreaterThan(0.01);
    expect(out.poseScores[1]).toBe(0);
  });

  it('finds nothing when every score is below the threshold', () => {
    const out = posenetDecode(
      {
        heatmaps: new Float32Array(4 * 17).fill(-10),
        shortOffsets: new Float32Array(4 * 34),
        midOffsets: new Float32Array(4 * 64),
        height: 2,
        width: 2,
      },
      { maxDetections: 3, scoreThreshold: 0.5, stride: 16, nmsRadius: 20 },
    );
    expect(out.count[0]).toBe(0);
  });
});

describe('topClasses (fast-NMS class ranking)', () => {
  it('equals a stable full sort, ties included, for every k', async () => {
    const { topClasses } = await import('../../../src/lib/runtime/kernels/detection-postprocess.ts');
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 200; trial++) {
      // Scores on a coarse grid (like dequantized uint8), so ties are common.
      const scores = Array.from({ length: 90 }, () => Math.floor(next() * 16) / 16);
      const sorted = scores.map((_, c) => c).sort((a, b) => scores[b]! - scores[a]! || a - b);
      for (const k of [1, 2, 3, 90]) {
        expect(topClasses(90, k, (c) => scores[c]!)).toEqual(sorted.slice(0, k));
      }
    }
  });
});
