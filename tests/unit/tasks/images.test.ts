import { describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  decodeBmp,
  encodeBmp,
  encodeIndexedBmp,
  fitRegion,
  imageToTensor,
  inputLayout,
  resizeRegion,
  type RgbaImage,
} from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';

function solid(width: number, height: number, rgb: [number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
}

describe('image decoding', () => {
  it('decodes 24-bit and 8-bit palette BMPs from the fixtures', async () => {
    const cat = decodeBmp(await readFixture('cat.bmp'));
    expect([cat.width, cat.height]).toEqual([512, 341]);
    const nine = decodeBmp(await readFixture('mnist_nine.bmp'));
    expect([nine.width, nine.height]).toEqual([28, 28]);
    expect(nine.indices).toHaveLength(784);
    // A drawn digit: some bright pixels, mostly dark background.
    const bright = [...nine.indices!].filter((v) => v > 128).length;
    expect(bright).toBeGreaterThan(50);
    expect(bright).toBeLessThan(400);
  });

  it('round-trips 24-bit and palette BMPs', () => {
    const image = solid(5, 3, [10, 20, 30]);
    image.data.set([255, 0, 0, 255], 0); // top-left red
    const back = decodeBmp(encodeBmp(image));
    expect(back.width).toBe(5);
    expect([...back.data]).toEqual([...image.data]);
    const indices = new Uint8Array([0, 1, 2, 3, 0, 1]);
    const mask = decodeBmp(
      encodeIndexedBmp(3, 2, indices, [
        [0, 0, 0],
        [128, 0, 0],
        [0, 128, 0],
        [128, 128, 0],
      ]),
    );
    expect([...mask.indices!]).toEqual([...indices]);
    expect([...mask.data.subarray(4, 8)]).toEqual([128, 0, 0, 255]);
  });

  it('decodes JPEG and rejects unknown formats with a typed error', async () => {
    const pets = decodeImageFile(await readFixture('pets.jpg'));
    expect([pets.width, pets.height]).toEqual([512, 430]);
    expect(() => decodeImageFile(new Uint8Array([1, 2, 3, 4]))).toThrow(ReefError);
    expect(() => decodeBmp(new Uint8Array([0x42, 0x4d, 0, 0]))).toThrow(/BMP/);
  });
});

describe('preprocessing', () => {
  it('resizes a flat image to the same color and halves a 2-pixel ramp', () => {
    const out = resizeRegion(solid(40, 30, [200, 100, 50]), { x: 0, y: 0, width: 40, height: 30 }, 7, 5);
    expect([...out.data.subarray(0, 4)]).toEqual([200, 100, 50, 255]);
    const ramp: RgbaImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 255, 200, 200, 200, 255]) };
    expect(resizeRegion(ramp, { x: 0, y: 0, width: 2, height: 1 }, 1, 1).data[0]).toBe(100);
  });

  it('letterbox keeps the aspect ratio at the top left; crop centres', () => {
    expect(fitRegion(600, 300, 300, 300, 'letterbox')).toEqual({ x: 0, y: 0, width: 600, height: 600 });
    expect(fitRegion(600, 300, 300, 300, 'crop')).toEqual({ x: 150, y: 0, width: 300, height: 300 });
    const prepared = imageToTensor(
      solid(600, 300, [255, 255, 255]),
      {
        name: 'in',
        dtype: 'uint8',
        shape: [1, 4, 4, 3],
        scale: 0,
        zeroPoint: 0,
      },
      { fit: 'letterbox' },
    );
    // Top half is the image, bottom half the black padding.
    expect(prepared.data[0]).toBe(255);
    expect(prepared.data[(3 * 4 + 3) * 3]).toBe(0);
  });

  it('maps pixels to uint8 raw, float [-1, 1], int8 and quantized-normalized values', () => {
    const image = solid(2, 2, [255, 128, 0]);
    const info = { name: 'in', shape: [1, 2, 2, 3], scale: 0, zeroPoint: 0 };
    expect([...imageToTensor(image, { ...info, dtype: 'uint8' }).data.subarray(0, 3)]).toEqual([255, 128, 0]);
    const f = imageToTensor(image, { ...info, dtype: 'float32' }).data;
    expect(f[0]).toBeCloseTo(1, 5);
    expect(f[2]).toBeCloseTo(-1, 5);
    expect([...imageToTensor(image, { ...info, dtype: 'int8' }).data.subarray(0, 3)]).toEqual([127, 0, -128]);
    const q = imageToTensor(
      image,
      { ...info, dtype: 'uint8', scale: 1 / 255, zeroPoint: 0 },
      { normalization: { mean: 0, std: 255 } },
    ).data;
    expect([...q.subarray(0, 3)]).toEqual([255, 128, 0]);
  });

  it('knows grayscale [1,28,28] inputs and rejects non-image inputs', () => {
    expect(inputLayout({ name: 'x', dtype: 'uint8', shape: [1, 28, 28], scale: 0, zeroPoint: 0 })).toEqual({
      height: 28,
      width: 28,
      channels: 1,
    });
    expect(() => inputLayout({ name: 'x', dtype: 'uint8', shape: [1, 3], scale: 0, zeroPoint: 0 })).toThrow(ReefError);
  });
});
