/** The one-line results of `reef run` over several images, and its choice of WASM compilation tiers. */
import { describe, expect, it } from 'vitest';
import { summaryLine } from '../../../src/cli/run/summary-line.ts';
import { chooseWasmTiers, LIFTOFF_ONLY_MAX_WORK } from '../../../src/cli/run/wasm-tiering.ts';

const who = { engine: 'litert-wasm', device: 'cpu' };

describe('summaryLine', () => {
  it('detect: the count, then each object with its box', () => {
    const json = {
      task: 'detect',
      objects: [{ id: 0, label: 'ClownFish', score: 0.91234, box: { xmin: 1.5, ymin: 2, xmax: 30, ymax: 40.2 } }],
      ms: 12.5,
      ...who,
    };
    expect(summaryLine(json)).toBe(
      'detect: 1 object: 0.912 ClownFish (0) [1.5, 2, 30, 40.2]  [12.5 ms on litert-wasm (cpu)]',
    );
    expect(summaryLine({ ...json, objects: [] })).toBe('detect: 0 objects  [12.5 ms on litert-wasm (cpu)]');
  });

  it('segment, pose and a repeated classify with its spread', () => {
    const segment = { task: 'segment', classes: [{ id: 3, label: 'bird', pixels: 44935 }], ms: 170, ...who };
    expect(summaryLine(segment)).toBe('segment: bird (3) 44935 px  [170 ms on litert-wasm (cpu)]');
    const pose = { task: 'pose', poses: [{ score: 0.54, keypoints: [] }], ms: 9, ...who };
    expect(summaryLine(pose)).toBe('pose: pose 0 score 0.54  [9 ms on litert-wasm (cpu)]');
    const classify = {
      task: 'classify',
      classes: [{ id: 283, label: 'tiger cat', score: 0.33203125 }],
      ms: 2.1,
      runs: 5,
      msMin: 2,
      msMax: 6.25,
      ...who,
    };
    expect(summaryLine(classify)).toBe(
      'classify: 0.33203 tiger cat (283)  [2.1 ms median of 5 (2–6.25) on litert-wasm (cpu)]',
    );
  });
});

describe('chooseWasmTiers', () => {
  it('Liftoff only while runs × model bytes stay within the budget; tier-up beyond it', () => {
    const saved = process.env['REEF_WASM_TIER_UP'];
    delete process.env['REEF_WASM_TIER_UP'];
    try {
      expect(chooseWasmTiers(1, 525_598)).toBe(true);
      expect(chooseWasmTiers(2, LIFTOFF_ONLY_MAX_WORK / 2)).toBe(true);
      expect(chooseWasmTiers(2, LIFTOFF_ONLY_MAX_WORK / 2 + 1)).toBe(false);
      expect(chooseWasmTiers(30, 3_251_736)).toBe(false);
      process.env['REEF_WASM_TIER_UP'] = '1';
      expect(chooseWasmTiers(1, 1)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env['REEF_WASM_TIER_UP'];
      else process.env['REEF_WASM_TIER_UP'] = saved;
    }
  });
});
