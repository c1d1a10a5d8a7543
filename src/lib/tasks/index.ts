/** Tasks: pre- and post-processing shared by page, kiosk, worker and CLI. */
export { checkImage, luma, type RgbaImage } from './image.ts';
export { decodeBmp, encodeBmp, encodeIndexedBmp, isBmp, type DecodedBmp } from './bmp.ts';
export {
  imageError,
  imageFormat,
  MAX_IMAGE_PIXELS,
  readImageBlobHeader,
  readImageHeader,
  type ImageFormat,
  type ImageHeader,
} from './image-header.ts';
export { checkTaskModel } from './task-model.ts';
export { openImageBitmap } from './image-bitmap.ts';
export { resizeRegion, type Rect, type Resample } from './resize.ts';
export type { YuvImage } from './yuv-tensor.ts';
export {
  encodePixels,
  fitImage,
  fitRegion,
  imageToTensor,
  inputLayout,
  yuvToTensor,
  type Fit,
  type InputLayout,
  type Normalization,
  type PreparedInput,
  type PreprocessOptions,
} from './preprocess.ts';
export { alignLabels, filesAppendedToModel, labelList, labelsFromModel, parseLabels, type Labels } from './labels.ts';
export { classify, type ClassifyOptions, type ClassScore } from './classify.ts';
export { detect, type Box, type DetectedObject, type DetectOptions } from './detect.ts';
export {
  classCounts,
  classGrid,
  maskForImage,
  overlayMask,
  pascalPalette,
  type ClassMask,
  type SegmentClass,
} from './segment.ts';
export { decodePoses, KEYPOINT_NAMES, SKELETON, type Keypoint, type Pose, type PoseOptions } from './pose.ts';
