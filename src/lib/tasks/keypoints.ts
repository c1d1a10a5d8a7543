/**
 * The COCO keypoints MoveNet and PoseNet report, and the skeleton drawn between them. Pure
 * constants with no imports, so the page can draw poses without pulling in the runtime.
 */

export const KEYPOINT_NAMES = [
  'nose',
  'left eye',
  'right eye',
  'left ear',
  'right ear',
  'left shoulder',
  'right shoulder',
  'left elbow',
  'right elbow',
  'left wrist',
  'right wrist',
  'left hip',
  'right hip',
  'left knee',
  'right knee',
  'left ankle',
  'right ankle',
] as const;

/** Pairs of keypoint indices joined by a line when drawing a pose. */
export const SKELETON: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 4],
  [5, 6],
  [5, 7],
  [7, 9],
  [6, 8],
  [8, 10],
  [5, 11],
  [6, 12],
  [11, 12],
  [11, 13],
  [13, 15],
  [12, 14],
  [14, 16],
];
