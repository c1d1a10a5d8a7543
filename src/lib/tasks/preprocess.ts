/**
 * Image → model input tensor: fit (stretch, center crop or letterbox), resize, channels (RGB or
 * grayscale) and value mapping (raw pixels for uint8 models, normalization + quantization otherwise).
 * Returns the region of the image the input covers, so outputs map back to image pixels.
 */
import { ReefError } from '../errors.ts';
import type { TensorArray, TensorInfo } from '../runtime/index.ts';
import { checkImage, luma, type RgbaImage } from './image.ts';
import { resizeRegion, type Rect, type Resample } from './resize.ts';
import { pixelTable } from './pixel-table.ts';
import { writeRgbTensor } from './rgb-tensor.ts';
import { writeRgbTensorFromYuv, type YuvImage } from './yuv-tensor.ts';

export type Fit = 'stretch' | 'crop' | 'letterbox';

/** real = (pixel - mean) / std, per channel or for all channels. */
export interface Normalization {
  mean: number | readonly number[];
  std: number | readonly number[];
}

export interface PreprocessOptions {
  fit?: Fit;
  /** Default 'bilinear' (2x2 taps); 'area' antialiases; 'nearest' is pycoral's test preprocessing. */
  resample?: Resample;
  /** From model metadata; without it uint8 inputs get raw pixels and float inputs [-1, 1]. */
  normalization?: Normalization;
}

export interface InputLayout {
  height: number;
  width: number;
  channels: 1 | 3;
}

export interface PreparedInput {
  data: TensorArray;
  /** Image pixels covered by the whole model input (can exceed the image for letterbox). */
  region: Rect;
  /** The model input's size in pixels. */
  inputWidth: number;
  inputHeight: number;
}

/** Height, width and channels of an image input: [1,H,W,C], [H,W,C], [1,H,W] (grayscale). */
export function inputLayout(info: TensorInfo): InputLayout {
  const s = info.shape;
  const fail = (): never => {
    throw new ReefError('INVALID_ARGUMENT', `input ${info.name} [${s.join(',')}] is not an image tensor`, {
      reason: 'not-an-image-input',
    });
  };
  let dims: number[];
  if (s.length === 4 && s[0] === 1) dims = s.slice(1);
  else if (s.length === 3 && s[0] === 1 && s[2] !== 3 && s[2] !== 1) dims = [s[1]!, s[2]!, 1];
  else if (s.length === 3) dims = [...s];
  else return fail();
  const [height, width, channels] = dims as [number, number, number];
  if (channels !== 1 && channels !== 3) return fail();
  return { height, width, channels };
}

export function fitRegion(imageWidth: number, imageHeight: number, width: number, height: number, fit: Fit): Rect {
  if (fit === 'stretch') return { x: 0, y: 0, width: imageWidth, height: imageHeight };
  const inputAspect = width / height;
  if (fit === 'crop') {
    const cw = Math.min(imageWidth, Math.round(imageHeight * inputAspect));
    const ch = Math.min(imageHeight, Math.round(imageWidth / inputAspect));
    return { x: Math.floor((imageWidth - cw) / 2), y: Math.floor((imageHeight - ch) / 2), width: cw, height: ch };
  }
  // Letterbox as pycoral's set_resized_input: image at the top left, padding right and bottom.
  const scale = Math.min(width / imageWidth, height / imageHeight);
  return { x: 0, y: 0, width: width / scale, height: height / scale };
}

function perChannel(value: number | readonly number[], c: number): number {
  return typeof value === 'number' ? value : (value[c] ?? value[0] ?? 0);
}

/** The part of the model input the picture fills: all of it, except for letterbox. */
export function contentSize(
  image: { width: number; height: number },
  layout: InputLayout,
  region: Rect,
  fit: Fit,
): { width: number; height: number } {
  if (fit !== 'letterbox') return { width: layout.width, height: layout.height };
  const scale = layout.width / region.width;
  return {
    width: Math.max(1, Math.min(layout.width, Math.round(image.width * scale))),
    height: Math.max(1, Math.min(layout.height, Math.round(image.height * scale))),
  };
}

/** The model-input-sized RGBA picture (letterbox padding black). */
export function fitImage(
  image: RgbaImage,
  layout: InputLayout,
  fit: Fit,
  resample: Resample = 'bilinear',
): { pixels: RgbaImage; region: Rect } {
  checkImage(image);
  const region = fitRegion(image.width, image.height, layout.width, layout.height, fit);
  if (fit !== 'letterbox')
    return { pixels: resizeRegion(image, region, layout.width, layout.height, resample), region };
  const { width: cw, height: ch } = contentSize(image, layout, region, fit);
  const content = resizeRegion(image, { x: 0, y: 0, width: image.width, height: image.height }, cw, ch, resample);
  const pixels = new Uint8Array(layout.width * layout.height * 4);
  for (let y = 0; y < ch; y++) {
    pixels.set(content.data.subarray(y * cw * 4, (y + 1) * cw * 4), y * layout.width * 4);
  }
  return { pixels: { width: layout.width, height: layout.height, data: pixels }, region };
}

/** `input` is the model's first input: a model without inputs has nothing to put an image into. */
export function imageToTensor(
  image: RgbaImage,
  input: TensorInfo | undefined,
  options: PreprocessOptions = {},
): PreparedInput {
  if (!input) {
    throw new ReefError('INVALID_ARGUMENT', 'the model has no inputs: there is nothing to feed an image into', {
      reason: 'no-inputs',
    });
  }
  const layout = inputLayout(input);
  const fit = options.fit ?? 'stretch';
  const resample = options.resample ?? 'bilinear';
  // RGB by bilinear or nearest: the fused one-pass path (rgb-tensor.ts), same bytes as below.
  if (layout.channels === 3 && resample !== 'area') {
    checkImage(image);
    const table = pixelTable(input, 3, options.normalization);
    const region = fitRegion(image.width, image.height, layout.width, layout.height, fit);
    const { width, height } = contentSize(image, layout, region, fit);
    const data = new (table.constructor as Uint8ArrayConstructor)(layout.width * layout.height * 3);
    // Letterbox resizes the whole image onto the top-left `width × height` of the input.
    const source = fit === 'letterbox' ? { x: 0, y: 0, width: image.width, height: image.height } : region;
    const target = {
      out: data,
      width: layout.width,
      height: layout.height,
      contentWidth: width,
      contentHeight: height,
    };
    writeRgbTensor(image, source, target, table, resample);
    return { data, region, inputWidth: layout.width, inputHeight: layout.height };
  }
  const { pixels, region } = fitImage(image, layout, fit, resample);
  const n = layout.width * layout.height;
  const values = new Float32Array(n * layout.channels);
  const px = pixels.data;
  for (let i = 0; i < n; i++) {
    if (layout.channels === 1) values[i] = luma(px[i * 4]!, px[i * 4 + 1]!, px[i * 4 + 2]!);
    else for (let c = 0; c < 3; c++) values[i * 3 + c] = px[i * 4 + c]!;
  }
  const data = encodePixels(values, layout.channels, input, options.normalization);
  return { data, region, inputWidth: layout.width, inputHeight: layout.height };
}

/** Pixel values (0..255) → the input's element type. */
export function encodePixels(
  values: Float32Array,
  channels: number,
  input: TensorInfo,
  normalization: Normalization | undefined,
): TensorArray {
  const real = (v: number, c: number): number =>
    normalization ? (v - perChannel(normalization.mean, c)) / perChannel(normalization.std, c) : v;
  switch (input.dtype) {
    case 'float32': {
      const out = new Float32Array(values.length);
      const norm = normalization ?? { mean: 127.5, std: 127.5 };
      for (let i = 0; i < values.length; i++) {
        const c = i % channels;
        out[i] = (values[i]! - perChannel(norm.mean, c)) / perChannel(norm.std, c);
      }
      return out;
    }
    case 'uint8':
    case 'int8': {
      const out = input.dtype === 'uint8' ? new Uint8Array(values.length) : new Int8Array(values.length);
      const [lo, hi] = input.dtype === 'uint8' ? [0, 255] : [-128, 127];
      // Without metadata, Coral's convention: uint8 models take raw pixels, int8 models pixels - 128.
      const quantize = normalization !== undefined && input.scale > 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        const q = quantize
          ? real(v, i % channels) / input.scale + input.zeroPoint
          : input.dtype === 'uint8'
            ? v
            : v - 128;
        out[i] = Math.min(hi, Math.max(lo, Math.round(q)));
      }
      return out;
    }
    default:
      throw new ReefError('UNIMPLEMENTED', `input ${input.name}: ${input.dtype} image inputs are not supported`, {
        reason: 'unsupported-input-type',
      });
  }
}

/**
 * A camera frame's YUV planes → an RGB model input (yuv-tensor.ts), with the same fit and region as
 * imageToTensor. Grayscale inputs go through RGBA instead (the caller converts).
 */
export function yuvToTensor(
  image: YuvImage,
  input: TensorInfo | undefined,
  options: Omit<PreprocessOptions, 'resample'> = {},
): PreparedInput {
  if (!input) {
    throw new ReefError('INVALID_ARGUMENT', 'the model has no inputs: there is nothing to feed an image into', {
      reason: 'no-inputs',
    });
  }
  const layout = inputLayout(input);
  if (layout.channels !== 3) {
    throw new ReefError('INVALID_ARGUMENT', `input ${input.name} is not RGB: convert the frame to RGBA first`, {
      reason: 'not-an-rgb-input',
    });
  }
  const fit = options.fit ?? 'stretch';
  const table = pixelTable(input, 3, options.normalization);
  const region = fitRegion(image.width, image.height, layout.width, layout.height, fit);
  const { width, height } = contentSize(image, layout, region, fit);
  const data = new (table.constructor as Uint8ArrayConstructor)(layout.width * layout.height * 3);
  const source = fit === 'letterbox' ? { x: 0, y: 0, width: image.width, height: image.height } : region;
  const target = { out: data, width: layout.width, height: layout.height, contentWidth: width, contentHeight: height };
  writeRgbTensorFromYuv(image, source, target, table);
  return { data, region, inputWidth: layout.width, inputHeight: layout.height };
}
