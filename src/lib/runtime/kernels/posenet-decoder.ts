/**
 * Coral's PosenetDecoderOp as a Reef kernel: multi-person PoseNet decoding (Papandreou et al. 2018,
 * "PersonLab") from heatmap logits [1,H,W,17], short offsets [1,H,W,34] and mid-range offsets
 * [1,H,W,64] (forward then backward displacements along the 16 skeleton edges). Channel layout
 * follows PoseNet's published convention: y components first, then x. Outputs as the op's:
 * keypoints [1,N,17,2] (y, x in input pixels), keypoint scores [1,N,17], pose scores [1,N], count [1].
 * No fixture model carries this op, so the kernel is checked on synthetic inputs only.
 */
import { toObject } from 'flatbuffers/mjs/flexbuffers.js';
import { ReefError } from '../../errors.ts';

export const NUM_KEYPOINTS = 17;

/** Parent → child edges of the PoseNet tree, rooted at the nose. */
export const POSENET_EDGES: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 3],
  [0, 2],
  [2, 4],
  [0, 5],
  [5, 7],
  [7, 9],
  [5, 11],
  [11, 13],
  [13, 15],
  [0, 6],
  [6, 8],
  [8, 10],
  [6, 12],
  [12, 14],
  [14, 16],
];

export interface PosenetDecoderOptions {
  maxDetections: number;
  scoreThreshold: number;
  stride: number;
  nmsRadius: number;
}

export function parsePosenetDecoderOptions(customOptions: Uint8Array): PosenetDecoderOptions {
  const map = toObject(customOptions.slice().buffer) as Record<string, unknown> | null;
  const num = (key: string): number => {
    const v = map?.[key];
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new ReefError('INVALID_ARGUMENT', `PosenetDecoderOp: option ${key} is missing`, {
      reason: 'bad-custom-options',
    });
  };
  return {
    maxDetections: num('max_detections'),
    scoreThreshold: num('score_threshold'),
    stride: num('stride'),
    nmsRadius: num('nms_radius'),
  };
}

export interface PosenetDecoderInputs {
  heatmaps: Float32Array;
  shortOffsets: Float32Array;
  midOffsets: Float32Array;
  height: number;
  width: number;
}

export interface PosenetDecoderOutputs {
  keypoints: Float32Array;
  keypointScores: Float32Array;
  poseScores: Float32Array;
  count: Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function posenetDecode(input: PosenetDecoderInputs, o: PosenetDecoderOptions): PosenetDecoderOutputs {
  const { height: H, width: W } = input;
  const K = NUM_KEYPOINTS;
  const E = POSENET_EDGES.length;
  const score = (y: number, x: number, k: number): number => sigmoid(input.heatmaps[(y * W + x) * K + k]!);
  const shortOffset = (y: number, x: number, k: number): [number, number] => {
    const base = (y * W + x) * 2 * K;
    return [input.shortOffsets[base + k]!, input.shortOffsets[base + K + k]!];
  };
  const midOffset = (y: number, x: number, edge: number, backward: boolean): [number, number] => {
    const base = (y * W + x) * 4 * E + (backward ? 2 * E : 0);
    return [input.midOffsets[base + edge]!, input.midOffsets[base + E + edge]!];
  };
  const clampY = (v: number): number => Math.min(H - 1, Math.max(0, Math.round(v)));
  const clampX = (v: number): number => Math.min(W - 1, Math.max(0, Math.round(v)));

  // Part candidates: local maxima (3x3) of each heatmap above the threshold, best first.
  const candidates: { y: number; x: number; k: number; s: number }[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let k = 0; k < K; k++) {
        const s = score(y, x, k);
        if (s < o.scoreThreshold) continue;
        let isMax = true;
        for (let dy = -1; dy <= 1 && isMax; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < H && xx >= 0 && xx < W && score(yy, xx, k) > s) {
              isMax = false;
              break;
            }
          }
        }
        if (isMax) candidates.push({ y, x, k, s });
      }
    }
  }
  candidates.sort((a, b) => b.s - a.s);

  // Work in input pixels from here on.
  const radius2 = o.nmsRadius * o.nmsRadius;
  const poses: { points: [number, number][]; scores: number[] }[] = [];
  for (const c of candidates) {
    if (poses.length >= o.maxDetections) break;
    const [oy, ox] = shortOffset(c.y, c.x, c.k);
    const root: [number, number] = [c.y * o.stride + oy, c.x * o.stride + ox];
    const taken = poses.some((p) => {
      const [py, px] = p.points[c.k]!;
      return (py - root[0]) ** 2 + (px - root[1]) ** 2 <= radius2;
    });
    if (taken) continue;
    const points: [number, number][] = new Array(K);
    const scores = new Array<number>(K).fill(0);
    points[c.k] = root;
    scores[c.k] = c.s;
    const follow = (edge: number, from: number, to: number, backward: boolean): void => {
      const [sy, sx] = points[from]!;
      const gy = clampY(sy / o.stride);
      const gx = clampX(sx / o.stride);
      const [dy, dx] = midOffset(gy, gx, edge, backward);
      let ty = sy + dy;
      let tx = sx + dx;
      // Refine with the short offsets at the landing cell, as the paper's decoder does.
      for (let step = 0; step < 2; step++) {
        const ry = clampY(ty / o.stride);
        const rx = clampX(tx / o.stride);
        const [oy2, ox2] = shortOffset(ry, rx, to);
        ty = ry * o.stride + oy2;
        tx = rx * o.stride + ox2;
      }
      points[to] = [ty, tx];
      scores[to] = score(clampY(ty / o.stride), clampX(tx / o.stride), to);
    };
    // Backward along edges towards the root of the tree, then forward to the leaves.
    for (let e = E - 1; e >= 0; e--) {
      const [parent, child] = POSENET_EDGES[e]!;
      if (points[child] && !points[parent]) follow(e, child, parent, true);
    }
    for (let e = 0; e < E; e++) {
      const [parent, child] = POSENET_EDGES[e]!;
      if (points[parent] && !points[child]) follow(e, parent, child, false);
    }
    poses.push({ points, scores });
  }

  const out: PosenetDecoderOutputs = {
    keypoints: new Float32Array(o.maxDetections * K * 2),
    keypointScores: new Float32Array(o.maxDetections * K),
    poseScores: new Float32Array(o.maxDetections),
    count: new Float32Array([poses.length]),
  };
  poses.forEach((pose, p) => {
    for (let k = 0; k < K; k++) {
      const [y, x] = pose.points[k] ?? [0, 0];
      out.keypoints[(p * K + k) * 2] = y;
      out.keypoints[(p * K + k) * 2 + 1] = x;
      out.keypointScores[p * K + k] = pose.scores[k]!;
    }
    // Pose score: mean keypoint score, keypoints claimed by earlier poses not counted (soft NMS).
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const [y, x] = pose.points[k]!;
      const claimed = poses.slice(0, p).some((q) => (q.points[k]![0] - y) ** 2 + (q.points[k]![1] - x) ** 2 <= radius2);
      if (!claimed) sum += pose.scores[k]!;
    }
    out.poseScores[p] = sum / K;
  });
  return out;
}
