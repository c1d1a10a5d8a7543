import { describe, expect, it } from 'vitest';
import {
  alignLabels,
  classCounts,
  classGrid,
  classify,
  decodePoses,
  detect,
  labelsFromModel,
  maskForImage,
  overlayMask,
  pascalPalette,
  labelList,
  parseLabels,
} from '../../../src/lib/tasks/index.ts';
import { readFixture, readFixtureText } from '../../support/fixtures.ts';

describe('labels', () => {
  it('parses plain, paired, CRLF files and stops at PASCAL’s note', async () => {
    const pascal = parseLabels(await readFixtureText('pascal_voc_segmentation_labels.txt'));
    expect(pascal.size).toBe(21);
    expect(pascal.get(3)).toBe('bird');
    const fish = parseLabels(await readFixtureText('fish_ssd_labels.txt'));
    expect([...fish.values()]).toEqual(['ClownFish', 'roses']);
    expect(parseLabels('0 cat\n2: dog\n').get(2)).toBe('dog');
  });

  it('lists labels by class id, naming the gaps of a paired file', async () => {
    expect(labelList('0 cat\n2: dog\n')).toEqual(['cat', 'class 1', 'dog']);
    const fish = labelList(await readFixtureText('fish_ssd_labels.txt'));
    expect(fish).toEqual(['ClownFish', 'roses']);
    expect(labelList('')).toEqual([]);
  });

  it('adds the background line to a 1000-label file for 1001 outputs', () => {
    const labels = new Map(Array.from({ length: 1000 }, (_, i) => [i, `c${i}`]));
    const aligned = alignLabels(labels, 1001);
    expect(aligned.get(0)).toBe('background');
    expect(aligned.get(1)).toBe('c0');
  });

  it('finds the labels ZIP appended to a model', async () => {
    const labels = labelsFromModel(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    expect(labels?.get(283)).toBe('tiger cat');
  });
});

describe('classify', () => {
  it('dequantizes, sorts, applies top-k and threshold', () => {
    const out = classify(
      { name: 'o', dtype: 'uint8', shape: [1, 4], scale: 0.5, zeroPoint: 10, data: new Uint8Array([10, 14, 12, 20]) },
      { topK: 2, threshold: 0.5, labels: new Map([[3, 'three']]) },
    );
    expect(out).toEqual([
      { id: 3, label: 'three', score: 5 },
      { id: 1, label: '1', score: 2 },
    ]);
  });
});

describe('detect', () => {
  it('maps normalized boxes through the letterbox region to image pixels', () => {
    const f = (v: number[]) => new Float32Array(v);
    const t = (data: Float32Array, shape: number[]) => ({
      name: '',
      dtype: 'float32' as const,
      shape,
      scale: 0,
      zeroPoint: 0,
      data,
    });
    const objects = detect(
      [
        t(f([0.1, 0.2, 0.5, 0.6, 0, 0, 1, 1]), [1, 2, 4]),
        t(f([1, 0]), [1, 2]),
        t(f([0.9, 0.3]), [1, 2]),
        t(f([2]), [1]),
      ],
      {
        threshold: 0.5,
        region: { x: 0, y: 0, width: 600, height: 600 },
        imageWidth: 600,
        imageHeight: 300,
        labels: new Map([[1, 'car']]),
      },
    );
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ id: 1, label: 'car' });
    const box = objects[0]!.box;
    expect([box.xmin, box.ymin, box.xmax, box.ymax].map((v) => Math.round(v * 1000) / 1000)).toEqual([
      120, 60, 360, 300,
    ]);
  });
});

describe('segment', () => {
  it('builds a class mask from int64 class ids or scores, counts and overlays it', () => {
    const ids = {
      name: '',
      dtype: 'int64' as const,
      shape: [1, 2, 2],
      scale: 0,
      zeroPoint: 0,
      data: new BigInt64Array([0n, 3n, 3n, 0n]),
    };
    const grid = classGrid(ids);
    const mask = maskForImage(grid, { x: 0, y: 0, width: 4, height: 4 }, 4, 4);
    expect([...mask.classes.subarray(0, 4)]).toEqual([0, 0, 3, 3]);
    expect(classCounts(mask, new Map([[3, 'bird']]))).toEqual([
      { id: 0, label: '0', pixels: 8 },
      { id: 3, label: 'bird', pixels: 8 },
    ]);
    const scores = {
      name: '',
      dtype: 'float32' as const,
      shape: [1, 1, 2, 3],
      scale: 0,
      zeroPoint: 0,
      data: new Float32Array([0, 5, 1, 9, 0, 0]),
    };
    expect([...classGrid(scores).classes]).toEqual([1, 0]);
    expect(pascalPalette()[3]).toEqual([128, 128, 0]);
    const image = { width: 4, height: 4, data: new Uint8Array(64).fill(0) };
    const overlay = overlayMask(image, mask, 0.5);
    expect([...overlay.data.subarray(8, 12)]).toEqual([64, 64, 0, 0]);
  });
});

describe('pose', () => {
  it('decodes MoveNet keypoints to image pixels', () => {
    const data = new Float32Array(51);
    data.set([0.5, 0.25, 0.9], 0);
    const [pose] = decodePoses([{ name: '', dtype: 'float32', shape: [1, 1, 17, 3], scale: 0, zeroPoint: 0, data }], {
      region: { x: 0, y: 0, width: 400, height: 200 },
      inputWidth: 192,
      inputHeight: 192,
    });
    expect(pose!.keypoints[0]).toEqual({ x: 100, y: 100, score: expect.closeTo(0.9, 6) });
  });
});
