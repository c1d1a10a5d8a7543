/**
 * The tuned camera-frame conversion (yuv-tensor.ts: chroma terms from tables, integer rounding,
 * one monomorphic loop into bytes, then the pixel table) must give exactly the bytes of its first
 * version (yuv-reference.ts): I420 and NV12, BT.601 and BT.709, studio and full range, odd sizes,
 * padded strides, crop and letterbox, uint8 / int8 / float32 inputs with and without normalization.
 */
import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../../../src/lib/runtime/index.ts';
import { yuvToTensor, type Fit, type Normalization, type YuvImage } from '../../../src/lib/tasks/index.ts';
import { pixelTable } from '../../../src/lib/tasks/pixel-table.ts';
import { writeRgbTensorFromYuv } from '../../../src/lib/tasks/yuv-tensor.ts';
import { fixtureImage } from '../runtime/support.ts';
import { referenceRgbFromYuv } from './yuv-reference.ts';

type Sample = (x: number, y: number) => number;
interface Planes {
  y: Sample;
  u: Sample;
  v: Sample;
}

/** A 4:2:0 frame of `w × h` (odd sizes: chroma is ⌈w/2⌉ × ⌈h/2⌉) with `pad` bytes after each row. */
function frame(w: number, h: number, format: YuvImage['format'], pad: number, values: Planes): YuvImage {
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const yStride = w + pad;
  const cStride = (format === 'NV12' ? 2 * cw : cw) + pad;
  // A few bytes before the luma plane and between planes, as copyTo may lay them out.
  const yOffset = 5;
  const uOffset = yOffset + yStride * h + 3;
  const vOffset = uOffset + cStride * ch + 7;
  const data = new Uint8Array(vOffset + cStride * ch + 1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[yOffset + y * yStride + x] = values.y(x, y);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      if (format === 'NV12') {
        data[uOffset + y * cStride + 2 * x] = values.u(x, y);
        data[uOffset + y * cStride + 2 * x + 1] = values.v(x, y);
      } else {
        data[uOffset + y * cStride + x] = values.u(x, y);
        data[vOffset + y * cStride + x] = values.v(x, y);
      }
    }
  }
  const planes =
    format === 'NV12'
      ? [
          { offset: yOffset, stride: yStride },
          { offset: uOffset, stride: cStride },
        ]
      : [
          { offset: yOffset, stride: yStride },
          { offset: uOffset, stride: cStride },
          { offset: vOffset, stride: cStride },
        ];
  return { width: w, height: h, format, data, planes, matrix: 'bt601', fullRange: false };
}

function noise(seed: number): Planes {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 24;
  };
  return { y: next, u: next, v: next };
}

/** Flat areas and gentle ramps: bilinear weights of exactly ½ land on .5 ties, which must round up. */
const ramps: Planes = {
  y: (x, y) => (x >> 2) + 16 + (y & 1),
  u: (x) => 128 + (x & 1),
  v: (_, y) => 128 - (y % 3),
};

/** cat.bmp (512×341) as a camera would send it, repeated past its edges for larger frames. */
async function photo(): Promise<Planes> {
  const cat = await fixtureImage('cat.bmp');
  const at = (x: number, y: number, c: number): number => cat.data[(y * cat.width + x) * 4 + c]!;
  const [r, g, b] = [0, 1, 2].map((c) => (x: number, y: number) => at(x % cat.width, y % cat.height, c)) as [
    Sample,
    Sample,
    Sample,
  ];
  return {
    y: (x, y) => Math.round(16 + 0.257 * r(x, y) + 0.504 * g(x, y) + 0.098 * b(x, y)),
    u: (x, y) => Math.round(128 - 0.148 * r(2 * x, 2 * y) - 0.291 * g(2 * x, 2 * y) + 0.439 * b(2 * x, 2 * y)),
    v: (x, y) => Math.round(128 + 0.439 * r(2 * x, 2 * y) - 0.368 * g(2 * x, 2 * y) - 0.071 * b(2 * x, 2 * y)),
  };
}

const input = (dtype: 'uint8' | 'int8' | 'float32', w: number, h: number, scale = 0, zeroPoint = 0): TensorInfo =>
  ({ name: 'input', shape: [1, h, w, 3], dtype, scale, zeroPoint }) as TensorInfo;

const INPUTS: [string, TensorInfo, Normalization | undefined][] = [
  ['uint8 raw pixels', input('uint8', 37, 29), undefined],
  [
    'uint8 quantized, per-channel normalization',
    input('uint8', 31, 30, 0.0078125, 128),
    { mean: [123.7, 116.3, 103.5], std: [58.4, 57.1, 57.4] },
  ],
  ['int8 pixels - 128', input('int8', 40, 40), undefined],
  ['int8 quantized', input('int8', 24, 36, 0.02, -3), { mean: 127.5, std: 127.5 }],
  ['float32 [-1, 1]', input('float32', 33, 21), undefined],
  ['float32 normalized', input('float32', 19, 23), { mean: [0, 10, 20], std: [255, 128, 64] }],
];

/**
 * The tuned and the reference bytes for yuvToTensor's own fit, region and table. Both write into
 * buffers filled with other values first, so a pixel or padding either one skips shows.
 */
function reference(image: YuvImage, info: TensorInfo, fit: Fit, norm: Normalization | undefined) {
  const prepared = yuvToTensor(image, info, { fit, ...(norm ? { normalization: norm } : {}) });
  const table = pixelTable(info, 3, norm);
  const [w, h] = [prepared.inputWidth, prepared.inputHeight];
  const scale = w / prepared.region.width;
  const content =
    fit === 'letterbox'
      ? {
          contentWidth: Math.max(1, Math.min(w, Math.round(image.width * scale))),
          contentHeight: Math.max(1, Math.min(h, Math.round(image.height * scale))),
        }
      : { contentWidth: w, contentHeight: h };
  const source = fit === 'letterbox' ? { x: 0, y: 0, width: image.width, height: image.height } : prepared.region;
  const filled = (value: number) => new (table.constructor as Uint8ArrayConstructor)(prepared.data.length).fill(value);
  const out = filled(99);
  referenceRgbFromYuv(image, source, { out, width: w, height: h, ...content }, table);
  const tuned = filled(77);
  writeRgbTensorFromYuv(image, source, { out: tuned, width: w, height: h, ...content }, table);
  expect(sameBytes(prepared.data, tuned), 'yuvToTensor writes what writeRgbTensorFromYuv does').toBe(true);
  return { tuned, reference: out };
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('tuned YUV conversion gives the first version’s bytes', () => {
  for (const [name, info, norm] of INPUTS) {
    it(`${name}: I420 and NV12, both matrices and ranges, odd sizes, every fit`, async () => {
      const sources: [string, number, number, Planes][] = [
        ['noise 97×61', 97, 61, noise(7)],
        ['noise 11×17', 11, 17, noise(3)],
        ['ramps 64×48', 64, 48, ramps],
        ['photo 323×241', 323, 241, await photo()],
      ];
      let compared = 0;
      for (const [label, w, h, values] of sources) {
        for (const format of ['I420', 'NV12'] as const) {
          const base = frame(w, h, format, format === 'NV12' ? 3 : 0, values);
          for (const matrix of ['bt601', 'bt709'] as const) {
            for (const fullRange of [false, true]) {
              for (const fit of ['stretch', 'crop', 'letterbox'] as const) {
                const { tuned, reference: ref } = reference({ ...base, matrix, fullRange }, info, fit, norm);
                expect(tuned.constructor).toBe(ref.constructor);
                const where = `${label} ${format} ${matrix} ${fullRange ? 'full' : 'studio'} ${fit}`;
                expect(sameBytes(tuned, ref), where).toBe(true);
                compared++;
              }
            }
          }
        }
      }
      expect(compared).toBe(4 * 2 * 2 * 2 * 3);
    });
  }

  it('gives the same bytes on a 640×480 camera-sized frame at MobileNet 224, also after other input types', async () => {
    const values = await photo();
    const image = frame(640, 480, 'I420', 0, values);
    // The same frame in turn into each element type: one type's call must not change another's result.
    for (const dtype of ['uint8', 'float32', 'int8', 'uint8'] as const) {
      const { tuned, reference: ref } = reference(image, input(dtype, 224, 224), 'stretch', undefined);
      expect(sameBytes(tuned, ref), dtype).toBe(true);
    }
    // And a letterboxed detector input: rows below the picture are black's table value.
    const { tuned, reference: ref } = reference(image, input('int8', 300, 300), 'letterbox', undefined);
    expect(sameBytes(tuned, ref)).toBe(true);
    expect(tuned[299 * 300 * 3]).toBe(-128);
  });

  it('rounds halves up as Math.round does, at the clamps too', () => {
    // Full range, grey chroma: each channel is the bilinear luma itself. 4 → 2 columns puts every
    // sample halfway between two pixels, so 10 and 11 give 10.5, which must become 11.
    const flat = (x: number) => (x % 2 === 0 ? 10 : 11);
    const image = { ...frame(4, 2, 'I420', 0, { y: flat, u: () => 128, v: () => 128 }), fullRange: true };
    const out = new Uint8Array(2 * 1 * 3);
    const target = { out, width: 2, height: 1, contentWidth: 2, contentHeight: 1 };
    writeRgbTensorFromYuv(
      image,
      { x: 0, y: 0, width: 4, height: 2 },
      target,
      pixelTable(input('uint8', 2, 1), 3, undefined),
    );
    expect([...out]).toEqual([11, 11, 11, 11, 11, 11]);
    // Studio-range white beyond 235 and black below 16 clamp to 255 and 0.
    const clamp = frame(2, 2, 'I420', 0, { y: (x) => (x === 0 ? 250 : 5), u: () => 128, v: () => 128 });
    const both = new Uint8Array(6);
    writeRgbTensorFromYuv(
      clamp,
      { x: 0, y: 0, width: 2, height: 2 },
      { out: both, width: 2, height: 1, contentWidth: 2, contentHeight: 1 },
      pixelTable(input('uint8', 2, 1), 3, undefined),
    );
    expect([...both]).toEqual([255, 255, 255, 0, 0, 0]);
  });
});
