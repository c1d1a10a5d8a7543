/**
 * The fused RGB path of imageToTensor (rgb-tensor.ts + pixel-table.ts) must feed a model the same
 * bytes as the step-by-step reference: fitImage (resize.ts) then encodePixels.
 */
import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../../src/lib/runtime/index.ts';
import {
  decodeBmp,
  encodePixels,
  fitImage,
  imageToTensor,
  inputLayout,
  type Fit,
  type Normalization,
  type RgbaImage,
} from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';

function reference(
  image: RgbaImage,
  input: TensorInfo,
  fit: Fit,
  resample: 'bilinear' | 'nearest',
  norm?: Normalization,
) {
  const layout = inputLayout(input);
  const { pixels } = fitImage(image, layout, fit, resample);
  const values = new Float32Array(layout.width * layout.height * 3);
  for (let i = 0; i < layout.width * layout.height; i++)
    for (let c = 0; c < 3; c++) values[i * 3 + c] = pixels.data[i * 4 + c]!;
  return encodePixels(values, 3, input, norm);
}

function noise(width: number, height: number, seed: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, data };
}

/** A byte comparison: a failing toEqual over 150,000 elements takes minutes to print its diff. */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const input = (dtype: 'uint8' | 'int8' | 'float32', w: number, h: number, scale = 0, zeroPoint = 0): TensorInfo =>
  ({ name: 'input', shape: [1, h, w, 3], dtype, scale, zeroPoint }) as TensorInfo;

describe('fused RGB preprocessing', () => {
  const cases: [string, TensorInfo, Normalization | undefined][] = [
    ['uint8 raw pixels', input('uint8', 37, 29), undefined],
    ['int8 pixels - 128', input('int8', 40, 40), undefined],
    ['float32 [-1, 1]', input('float32', 33, 21), undefined],
    [
      'uint8 quantized with per-channel normalization',
      input('uint8', 31, 30, 0.0078125, 128),
      { mean: [123.7, 116.3, 103.5], std: [58.4, 57.1, 57.4] },
    ],
    ['int8 quantized', input('int8', 24, 36, 0.02, -3), { mean: 127.5, std: 127.5 }],
    ['float32 normalized', input('float32', 19, 23), { mean: [0, 10, 20], std: [255, 128, 64] }],
  ];
  for (const [name, info, norm] of cases) {
    it(`gives the reference bytes: ${name}, every fit, bilinear and nearest, down- and upscaling`, () => {
      for (const image of [noise(97, 61, 7), noise(11, 17, 3), noise(640, 480, 11)]) {
        for (const fit of ['stretch', 'crop', 'letterbox'] as const) {
          for (const resample of ['bilinear', 'nearest'] as const) {
            const fast = imageToTensor(image, info, { fit, resample, ...(norm ? { normalization: norm } : {}) });
            const slow = reference(image, info, fit, resample, norm);
            expect(fast.data.constructor).toBe(slow.constructor);
            expect(fast.data.length).toBe(slow.length);
            expect(sameBytes(fast.data, slow), `${fit} ${resample} ${image.width}x${image.height}`).toBe(true);
          }
        }
      }
    });
  }

  it('gives the reference bytes on a fixture photo at MobileNet 224 and letterbox padding is black', async () => {
    const cat = decodeBmp(await readFixture('cat.bmp'));
    const info = input('uint8', 224, 224);
    const fast = imageToTensor(cat, info, { fit: 'letterbox' });
    expect(sameBytes(fast.data, reference(cat, info, 'letterbox', 'bilinear'))).toBe(true);
    // cat.bmp is 512×341: content 224×149, the rows below are padding.
    expect([...fast.data.subarray(150 * 224 * 3, 151 * 224 * 3)].every((v) => v === 0)).toBe(true);
    expect(fast.region).toEqual({ x: 0, y: 0, width: 512, height: 512 });
  });
});
