/** Camera frames from their YUV planes (yuv-tensor.ts) against the RGBA path on the same picture. */
import { describe, expect, it } from 'vitest';
import type { TensorArray, TensorInfo } from '../../../src/lib/runtime/index.ts';
import { classify, imageToTensor, yuvToTensor, type RgbaImage, type YuvImage } from '../../../src/lib/tasks/index.ts';
import { cpuEngine, fixtureImage, fixtureLabels } from '../runtime/support.ts';
import { readFixture } from '../../support/fixtures.ts';

/** BT.601 studio-range I420 of an even-sized RGBA picture, chroma averaged over 2×2 (as a camera does). */
function toI420(image: RgbaImage): YuvImage {
  const { width: w, height: h, data: px } = image;
  const data = new Uint8Array((w * h * 3) / 2);
  const u0 = w * h;
  const v0 = u0 + (w * h) / 4;
  for (let i = 0; i < w * h; i++)
    data[i] = Math.round(16 + (219 / 255) * (0.299 * px[i * 4]! + 0.587 * px[i * 4 + 1]! + 0.114 * px[i * 4 + 2]!));
  for (let y = 0; y < h / 2; y++) {
    for (let x = 0; x < w / 2; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const p of [
        (2 * y * w + 2 * x) * 4,
        (2 * y * w + 2 * x + 1) * 4,
        ((2 * y + 1) * w + 2 * x) * 4,
        ((2 * y + 1) * w + 2 * x + 1) * 4,
      ]) {
        r += px[p]! / 4;
        g += px[p + 1]! / 4;
        b += px[p + 2]! / 4;
      }
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      data[u0 + y * (w / 2) + x] = Math.round(128 + (224 / 255) * ((b - luma) / 1.772));
      data[v0 + y * (w / 2) + x] = Math.round(128 + (224 / 255) * ((r - luma) / 1.402));
    }
  }
  const planes = [
    { offset: 0, stride: w },
    { offset: u0, stride: w / 2 },
    { offset: v0, stride: w / 2 },
  ];
  return { width: w, height: h, format: 'I420', data, planes, matrix: 'bt601', fullRange: false };
}

/** The same picture with U and V interleaved in one plane. */
function toNv12(i420: YuvImage): YuvImage {
  const { width: w, height: h } = i420;
  const data = new Uint8Array(i420.data.length);
  data.set(i420.data.subarray(0, w * h));
  const n = (w * h) / 4;
  for (let i = 0; i < n; i++) {
    data[w * h + 2 * i] = i420.data[w * h + i]!;
    data[w * h + 2 * i + 1] = i420.data[w * h + n + i]!;
  }
  return {
    ...i420,
    format: 'NV12',
    data,
    planes: [
      { offset: 0, stride: w },
      { offset: w * h, stride: w },
    ],
  };
}

function solid(
  w: number,
  h: number,
  y: number,
  u: number,
  v: number,
  matrix: YuvImage['matrix'],
  fullRange: boolean,
): YuvImage {
  const data = new Uint8Array((w * h * 3) / 2);
  data.fill(y, 0, w * h);
  data.fill(u, w * h, w * h + (w * h) / 4);
  data.fill(v, w * h + (w * h) / 4);
  const planes = [
    { offset: 0, stride: w },
    { offset: w * h, stride: w / 2 },
    { offset: w * h + (w * h) / 4, stride: w / 2 },
  ];
  return { width: w, height: h, format: 'I420', data, planes, matrix, fullRange };
}

const rgbInput = (w: number, h: number): TensorInfo =>
  ({ name: 'input', shape: [1, h, w, 3], dtype: 'uint8', scale: 0, zeroPoint: 0 }) as TensorInfo;

describe('YUV frames to RGB inputs', () => {
  it('converts studio-range BT.601 and full-range BT.709 colours', () => {
    const pixel = (image: YuvImage) => [...yuvToTensor(image, rgbInput(2, 2)).data.subarray(0, 3)];
    expect(pixel(solid(8, 8, 235, 128, 128, 'bt601', false))).toEqual([255, 255, 255]);
    expect(pixel(solid(8, 8, 16, 128, 128, 'bt601', false))).toEqual([0, 0, 0]);
    // Pure red in studio-range BT.601 is Y 81, U 90, V 240.
    const red = pixel(solid(8, 8, 81, 90, 240, 'bt601', false));
    expect(red[0]).toBeGreaterThanOrEqual(254);
    expect(red[1]).toBeLessThanOrEqual(1);
    expect(red[2]).toBeLessThanOrEqual(1);
    // Full-range BT.709: mid grey stays grey; V above 128 reddens by 2 × (1 − 0.2126) per step.
    expect(pixel(solid(8, 8, 128, 128, 128, 'bt709', true))).toEqual([128, 128, 128]);
    expect(pixel(solid(8, 8, 100, 128, 148, 'bt709', true))[0]).toBe(Math.round(100 + 20 * 2 * (1 - 0.2126)));
  });

  it('matches the RGBA path on a photo and reads NV12 the same as I420', async () => {
    const cat = await fixtureImage('cat.bmp'); // 512×341: crop to even rows for 4:2:0
    const even: RgbaImage = { width: 512, height: 340, data: cat.data.subarray(0, 512 * 340 * 4) };
    const i420 = toI420(even);
    const input = rgbInput(224, 224);
    for (const fit of ['stretch', 'letterbox'] as const) {
      const fromYuv = yuvToTensor(i420, input, { fit });
      const fromRgba = imageToTensor(even, input, { fit });
      expect(fromYuv.region).toEqual(fromRgba.region);
      let sum = 0;
      for (let i = 0; i < fromYuv.data.length; i++)
        sum += Math.abs(Number(fromYuv.data[i]!) - Number(fromRgba.data[i]!));
      // Only quantisation of the YUV round trip and chroma subsampling differ.
      expect(sum / fromYuv.data.length, fit).toBeLessThan(3);
      const nv12 = yuvToTensor(toNv12(i420), input, { fit });
      expect(Buffer.from(nv12.data.buffer).equals(Buffer.from(fromYuv.data.buffer))).toBe(true);
    }
  });

  it('gives MobileNet the same answer as the RGBA path', async () => {
    const model = await cpuEngine().load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    const labels = await fixtureLabels('imagenet_labels.txt');
    const cat = await fixtureImage('cat.bmp');
    const even: RgbaImage = { width: 512, height: 340, data: cat.data.subarray(0, 512 * 340 * 4) };
    const top = async (data: TensorArray) =>
      classify((await model.run([data])).outputs[0]!, { topK: 3, labels }).map((c) => c.label);
    const viaYuv = await top(yuvToTensor(toI420(even), model.inputs[0]).data);
    const viaRgba = await top(imageToTensor(even, model.inputs[0]).data);
    expect(viaYuv[0]).toBe(viaRgba[0]);
    expect(viaYuv[0]).toMatch(/cat/);
    model.dispose();
  });

  it('refuses a grayscale input with a typed error', () => {
    const gray = { name: 'input', shape: [1, 28, 28, 1], dtype: 'uint8', scale: 0, zeroPoint: 0 } as TensorInfo;
    expect(() => yuvToTensor(solid(8, 8, 16, 128, 128, 'bt601', false), gray)).toThrow(
      expect.objectContaining({ reason: 'not-an-rgb-input' }),
    );
  });
});
