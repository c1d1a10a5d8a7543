import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../../src/app/shared/inference-client.ts';
import { classRgb, paintMask, toInferenceResult, type WorkerTaskResult } from '../../../src/app/shared/inference.ts';
import { summarizeOps, toInspection } from '../../../src/app/features/models/inspection.ts';

const base = { engine: 'edgetpu', device: 'usb:0', ms: 2.5 };

describe('task results for the overlays', () => {
  it('normalises detection boxes and pose keypoints to the frame, keeps class ids', () => {
    const detect = toInferenceResult(
      {
        ...base,
        task: 'detect',
        objects: [{ id: 17, label: 'cat', score: 0.9, box: { xmin: 64, ymin: 48, xmax: 320, ymax: 240 } }],
      },
      640,
      480,
    );
    expect(detect.output).toEqual({
      task: 'detect',
      detections: [{ id: 17, label: 'cat', score: 0.9, box: { xmin: 0.1, ymin: 0.1, xmax: 0.5, ymax: 0.5 } }],
    });
    const pose = toInferenceResult(
      { ...base, task: 'pose', poses: [{ score: 0.8, keypoints: [{ x: 320, y: 120, score: 0.7 }] }] },
      640,
      480,
    );
    expect(pose.output).toEqual({ task: 'pose', keypoints: [{ name: 'nose', x: 0.5, y: 0.25, score: 0.7 }] });
  });

  it('orders segmentation classes by area without the background, and carries a fallback', () => {
    const result = {
      ...base,
      fallback: 'usb:0 is not available (unplugged); running on WASM',
      task: 'segment',
      width: 2,
      height: 2,
      mask: new Uint8Array([0, 3, 3, 8]),
      classes: [
        { id: 0, label: 'background', pixels: 1 },
        { id: 8, label: 'cat', pixels: 1 },
        { id: 3, label: 'bird', pixels: 2 },
      ],
    } as WorkerTaskResult;
    const out = toInferenceResult(result, 2, 2);
    expect(out.fallback).toBe('usb:0 is not available (unplugged); running on WASM');
    expect(out.output.task === 'segment' && out.output.classes).toEqual([
      { id: 3, label: 'bird', share: 0.5 },
      { id: 8, label: 'cat', share: 0.25 },
    ]);
  });

  it('gives every class a stable, distinct colour', () => {
    expect(classRgb(1)).toEqual(classRgb(1));
    expect(new Set([1, 2, 3, 4, 5].map((i) => classRgb(i).join())).size).toBe(5);
  });

  it('paints a mask in each class colour at alpha 140, the background clear', () => {
    const mask = Uint8Array.from([0, 1, 15, 255, 1, 0]);
    const pixels = new Uint8ClampedArray(mask.length * 4).fill(7);
    paintMask(mask, pixels);
    const at = (i: number) => Array.from(pixels.slice(i * 4, i * 4 + 4));
    expect(at(0)).toEqual([0, 0, 0, 0]);
    expect(at(5)).toEqual([0, 0, 0, 0]);
    expect(at(1)).toEqual([...classRgb(1), 140]);
    expect(at(4)).toEqual([...classRgb(1), 140]);
    expect(at(2)).toEqual([...classRgb(15), 140]);
    expect(at(3)).toEqual([...classRgb(255), 140]);
  });
});

describe('what each engine choice loads', () => {
  const pair = { key: 'catalog:m', title: 'M', task: 'classify' as const, edgetpu: 'aa', cpu: 'bb' };
  it('WASM runs the CPU file; auto and usb:N load the compiled file with its CPU twin', () => {
    expect(loadPlan(pair, 'wasm')).toEqual({ sha256: 'bb', options: { engine: 'wasm' } });
    expect(loadPlan(pair, 'usb:1')).toEqual({ sha256: 'aa', options: { engine: 'usb:1', cpuTwin: { sha256: 'bb' } } });
    expect(loadPlan(pair, 'auto')).toEqual({ sha256: 'aa', options: { engine: 'auto', cpuTwin: { sha256: 'bb' } } });
  });
  it('refuses combinations that cannot run, with a reason a person understands', () => {
    expect(() => loadPlan({ ...pair, cpu: undefined as unknown as string }, 'wasm')).toThrow(
      /WASM needs its CPU version/,
    );
    expect(() => loadPlan({ key: 'file:x', title: 'x.tflite', task: 'classify', cpu: 'bb' }, 'usb:0')).toThrow(
      /not compiled for the Edge TPU/,
    );
  });
});

describe('inspector facts', () => {
  it('names ops per segment with repeat counts', () => {
    expect(summarizeOps(['CONV_2D', 'CONV_2D', 'SOFTMAX'])).toBe('CONV_2D ×2, SOFTMAX');
    const view = toInspection('m.tflite', {
      bytes: 10,
      schemaVersion: 3,
      description: '',
      subgraphs: 1,
      tensors: 2,
      inputs: [{ index: 0, name: 'in', dtype: 'uint8', shape: [1, 2], scale: 0.5, zeroPoint: 3, perChannel: false }],
      outputs: [
        { index: 1, name: 'out', dtype: 'float32', shape: [1], scale: null, zeroPoint: null, perChannel: false },
      ],
      ops: [
        { index: 0, opcode: 'edgetpu-custom-op', placement: 'tpu' },
        { index: 1, opcode: 'DEQUANTIZE', placement: 'cpu' },
      ],
      segments: [
        { placement: 'tpu', ops: [0] },
        { placement: 'cpu', ops: [1] },
      ],
      edgetpu: null,
      compatibility: null,
      customOps: [],
      labels: ['a', 'b'],
      metadata: null,
      warnings: [],
    });
    expect(view.segments).toEqual([
      { placement: 'tpu', ops: ['edgetpu-custom-op'] },
      { placement: 'cpu', ops: ['DEQUANTIZE'] },
    ]);
    expect(view.inputs[0]).toEqual({ name: 'in', dtype: 'uint8', shape: [1, 2], scale: 0.5, zeroPoint: 3 });
    expect(view.outputs[0]).toEqual({ name: 'out', dtype: 'float32', shape: [1] });
    expect(view.labelCount).toBe(2);
  });
});
