/**
 * Coral's PosenetDecoderOp as a Reef kernel: multi-person PoseNet decoding (Papandreou et al. 2018,
 * "PersonLab") from heatmap logits [1,H,W,17], short offsets [1,H,W,34] (17 y then 17 x) and
 * mid-range offsets [1,H,W,64] (forward y, forward x, backward y, backward x; 16 edges each), in
 * pixels. Layouts and steps are those of Coral's op (google-coral/edgetpu posenet_decoder). Outputs:
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
const logOdds = (p: number): number => -Math.log(1 / (p + 1e-6) - 1);
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** A [H, W, C] float map sampled bilinearly at fractional (y, x), clamped to the grid. */
class Grid {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  constructor(data: Float32Array, height: number, width: number, channels: number) {
    this.data = data;
    this.height = height;
    this.width = width;
    this.channels = channels;
  }
  sample(y: number, x: number, c: number): number {
    const yy = clamp(y, 0, this.height - 1);
    const xx = clamp(x, 0, this.width - 1);
    const y0 = Math.floor(yy);
    const x0 = Math.floor(xx);
    const y1 = Math.ceil(yy);
    const x1 = Math.ceil(xx);
    const dy = y - y0;
    const dx = x - x0;
    const at = (r: number, q: number): number => this.data[(r * this.width + q) * this.channels + c]!;
    return (1 - dy) * ((1 - dx) * at(y0, x0) + dx * at(y0, x1)) + dy * ((1 - dx) * at(y1, x0) + dx * at(y1, x1));
  }
}

interface Candidate {
  y: number;
  x: number;
  k: number;
  score: number;
}

/** Neighbours of each keypoint in the tree, with the mid-offset channel of the edge towards them. */
function adjacency(): { to: number; channel: number }[][] {
  const E = POSENET_EDGES.length;
  const list: { to: number; channel: number }[][] = Array.from({ length: NUM_KEYPOINTS }, () => []);
  POSENET_EDGES.forEach(([parent, child], e) => {
    // Mid offsets are four blocks of E channels: forward y, forward x, backward y, backward x.
    list[parent]!.push({ to: child, channel: e });
    list[child]!.push({ to: parent, channel: 2 * E + e });
  });
  return list;
}

const REFINEMENT_STEPS = 5; // what the op passes to its decoder

/**
 * Multi-pose decoding in heatmap-grid units (offsets divided by the stride), as the op does:
 * local-maximum part candidates above the threshold (as log-odds) become roots, best first; a root
 * within `nms_radius` of the same part of an earlier pose is skipped; each pose grows along the tree
 * from its root (mid-range offsets, then short-range refinement, bilinear sampling), best-scoring
 * keypoint first; pose score = mean keypoint probability, then soft keypoint NMS between poses;
 * coordinates are returned in input pixels.
 */
export function posenetDecode(input: PosenetDecoderInputs, o: PosenetDecoderOptions): PosenetDecoderOutputs {
  const { height: H, width: W } = input;
  const K = NUM_KEYPOINTS;
  const E = POSENET_EDGES.length;
  const scores = new Grid(input.heatmaps, H, W, K);
  const shorts = new Grid(
    input.shortOffsets.map((v) => v / o.stride),
    H,
    W,
    2 * K,
  );
  const mids = new Grid(
    input.midOffsets.map((v) => v / o.stride),
    H,
    W,
    4 * E,
  );
  const minLogit = logOdds(o.scoreThreshold);
  const radius2 = (o.nmsRadius / o.stride) ** 2;
  const neighbours = adjacency();

  const roots: Candidate[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let k = 0; k < K; k++) {
        const score = input.heatmaps[(y * W + x) * K + k]!;
        if (score < minLogit) continue;
        let isMax = true;
        for (let yy = Math.max(0, y - 1); yy < Math.min(H, y + 2) && isMax; yy++) {
          for (let xx = Math.max(0, x - 1); xx < Math.min(W, x + 2); xx++) {
            if (input.heatmaps[(yy * W + xx) * K + k]! > score) {
              isMax = false;
              break;
            }
          }
        }
        if (!isMax) continue;
        const base = (y * W + x) * 2 * K;
        roots.push({
          y: clamp(y + input.shortOffsets[base + k]! / o.stride, 0, H - 1),
          x: clamp(x + input.shortOffsets[base + K + k]! / o.stride, 0, W - 1),
          k,
          score,
        });
      }
    }
  }
  roots.sort((a, b) => b.score - a.score);

  const poses: { points: [number, number][]; scores: number[]; score: number }[] = [];
  const near = (a: [number, number], b: [number, number]): boolean =>
    (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 <= radius2;
  for (const root of roots) {
    if (poses.length >= o.maxDetections) break;
    if (poses.some((p) => near(p.points[root.k]!, [root.y, root.x]))) continue;
    const points: [number, number][] = Array.from({ length: K }, () => [-1, -1] as [number, number]);
    const logits = new Array<number>(K).fill(-1e5);
    const decoded = new Array<boolean>(K).fill(false);
    const queue: Candidate[] = [{ ...root, score: scores.sample(root.y, root.x, root.k) }];
    while (queue.length > 0) {
      queue.sort((a, b) => b.score - a.score);
      const current = queue.shift()!;
      if (decoded[current.k]) continue;
      decoded[current.k] = true;
      points[current.k] = [current.y, current.x];
      logits[current.k] = current.score;
      for (const { to, channel } of neighbours[current.k]!) {
        if (decoded[to]) continue;
        let y = clamp(current.y + mids.sample(current.y, current.x, channel), 0, H - 1);
        let x = clamp(current.x + mids.sample(current.y, current.x, channel + E), 0, W - 1);
        for (let step = 0; step < REFINEMENT_STEPS; step++) {
          const dy = shorts.sample(y, x, to);
          const dx = shorts.sample(y, x, K + to);
          y = clamp(y + dy, 0, H - 1);
          x = clamp(x + dx, 0, W - 1);
        }
        queue.push({ y, x, k: to, score: scores.sample(y, x, to) });
      }
    }
    const probabilities = logits.map(sigmoid);
    const score = probabilities.reduce((a, b) => a + b, 0) / K;
    if (score >= o.scoreThreshold) poses.push({ points, scores: probabilities, score });
  }

  // Soft keypoint NMS: keypoints near the same keypoint of a better pose stop counting.
  const order = poses.map((_, i) => i).sort((a, b) => poses[b]!.score - poses[a]!.score);
  const rescored = new Array<number>(poses.length).fill(0);
  order.forEach((index, rank) => {
    const pose = poses[index]!;
    let total = 0;
    for (let k = 0; k < K; k++) {
      const occluded = order.slice(0, rank).some((prev) => near(poses[prev]!.points[k]!, pose.points[k]!));
      if (!occluded) total += pose.scores[k]!;
    }
    rescored[index] = total / K;
  });
  const final = poses
    .map((_, i) => i)
    .sort((a, b) => rescored[b]! - rescored[a]!)
    .filter((i) => rescored[i]! >= o.scoreThreshold);

  const out: PosenetDecoderOutputs = {
    keypoints: new Float32Array(o.maxDetections * K * 2),
    keypointScores: new Float32Array(o.maxDetections * K),
    poseScores: new Float32Array(o.maxDetections),
    count: new Float32Array([final.length]),
  };
  final.forEach((index, p) => {
    const pose = poses[index]!;
    for (let k = 0; k < K; k++) {
      out.keypoints[(p * K + k) * 2] = pose.points[k]![0] * o.stride;
      out.keypoints[(p * K + k) * 2 + 1] = pose.points[k]![1] * o.stride;
      out.keypointScores[p * K + k] = pose.scores[k]!;
    }
    out.poseScores[p] = rescored[index]!;
  });
  return out;
}
