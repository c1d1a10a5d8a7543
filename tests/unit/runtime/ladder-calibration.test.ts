/** The ladder's agreement rule (quantization steps, float range), its fixed input and the Node choice file. */
import { describe, expect, it } from 'vitest';
import type { LoadedModel, Tensor } from '../../../src/lib/runtime/index.ts';
import {
  calibrationInputs,
  compareOutputs,
  FileChoiceCache,
  timeRuns,
  type CachedChoice,
} from '../../../src/lib/runtime/ladder/index.ts';

function q8(values: number[], scale: number, zeroPoint = 0): Tensor {
  return { name: 'q', dtype: 'uint8', shape: [1, values.length], scale, zeroPoint, data: Uint8Array.from(values) };
}
function f32(values: number[]): Tensor {
  return {
    name: 'f',
    dtype: 'float32',
    shape: [1, values.length],
    scale: 0,
    zeroPoint: 0,
    data: Float32Array.from(values),
  };
}

describe('compareOutputs', () => {
  it('accepts quantized outputs up to 3 steps of the output scale apart, not 4', () => {
    const ref = q8([100, 50, 0], 0.5);
    expect(compareOutputs([ref], [q8([103, 47, 3], 0.5)])).toEqual({ ok: true, maxError: 1.5, tolerance: 1.5 });
    const off = compareOutputs([ref], [q8([104, 50, 0], 0.5)]);
    expect(off.ok).toBe(false);
    expect(off.reason).toBe('output 0 differs from WASM by 2.00 (tolerance 1.50)');
  });

  it('counts whole quantization steps: float rounding never turns 3 steps into more', () => {
    expect(compareOutputs([q8([0, 10], 0.1)], [q8([3, 7], 0.1)])).toMatchObject({ ok: true });
    expect(compareOutputs([q8([0, 10], 0.1)], [q8([4, 10], 0.1)]).ok).toBe(false);
  });

  it('holds float outputs to 2% of the reference tensor’s largest magnitude', () => {
    const ref = f32([10, -0.01, 0]);
    expect(compareOutputs([ref], [f32([10.19, 0.1, -0.1])]).ok).toBe(true);
    expect(compareOutputs([ref], [f32([10.21, 0, 0])]).ok).toBe(false);
    expect(compareOutputs([ref], [f32([10, NaN, 0])]).ok).toBe(false);
  });

  it('needs exact integers without a scale, and equal shapes and counts', () => {
    const ids = (v: number[]): Tensor => ({
      name: 'i',
      dtype: 'int32',
      shape: [v.length],
      scale: 0,
      zeroPoint: 0,
      data: Int32Array.from(v),
    });
    expect(compareOutputs([ids([3, 1])], [ids([3, 1])]).ok).toBe(true);
    expect(compareOutputs([ids([3, 1])], [ids([3, 2])]).ok).toBe(false);
    expect(compareOutputs([ids([3, 1])], [ids([3, 1, 0])]).reason).toMatch(/shape \[3\], the reference \[2\]/);
    expect(compareOutputs([ids([3])], []).reason).toBe('0 outputs, the reference has 1');
  });
});

describe('calibrationInputs', () => {
  it('is the same every time, in each input’s own type and range', () => {
    const infos = [
      { name: 'a', dtype: 'float32' as const, shape: [1, 64], scale: 0, zeroPoint: 0 },
      { name: 'b', dtype: 'int8' as const, shape: [64], scale: 0.1, zeroPoint: 0 },
    ];
    const [a, b] = calibrationInputs(infos) as [Float32Array, Int8Array];
    expect(calibrationInputs(infos)).toEqual([a, b]);
    expect(a).toBeInstanceOf(Float32Array);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(new Set(a).size).toBeGreaterThan(60);
    expect(b).toBeInstanceOf(Int8Array);
    expect(Math.min(...b)).toBeLessThan(-64);
    expect(Math.max(...b)).toBeGreaterThan(64);
  });
});

describe('timeRuns', () => {
  /** A model whose timed runs report `ms` in turn (the warm-up was made by the caller). */
  function timed(ms: number[]): LoadedModel & { runs: number } {
    const model = {
      runs: 0,
      inputs: [],
      outputs: [],
      engine: 'fake',
      device: 'cpu',
      run: async () => ({ outputs: [], engine: 'fake', device: 'cpu', ms: ms[Math.min(model.runs++, ms.length - 1)]! }),
      dispose: () => {},
    };
    return model;
  }
  const options = { runs: 5, budgetMs: 1000, margin: 1.25, capMs: 500, blockMs: 60_000 };

  it('stops once the runs agree within half the margin, and not before two runs', async () => {
    const steady = timed([10, 10.5, 30]);
    expect(await timeRuns(steady, [], options, 0)).toMatchObject({ samplesMs: [10, 10.5], stop: 'decided' });
    const noisy = timed([10, 12, 10, 12, 10]);
    expect(await timeRuns(noisy, [], options, 0)).toMatchObject({ medianMs: 10, stop: 'runs' });
  });

  it('decides a candidate clearly slower than the best, short of out (2×), after two runs', async () => {
    const slower = timed([14, 18, 14, 18, 14]);
    expect(await timeRuns(slower, [], options, 0, 10)).toMatchObject({ samplesMs: [14, 18], stop: 'decided' });
    // Within the margin of the best, it is timed on: the order is not settled.
    const close = timed([9, 12, 9, 12, 9]);
    expect(await timeRuns(close, [], options, 0, 10)).toMatchObject({ medianMs: 9, stop: 'runs' });
  });

  it('counts the warm-up against the budget', async () => {
    expect(await timeRuns(timed([50, 50]), [], { ...options, budgetMs: 100 }, 90)).toMatchObject({
      samplesMs: [50],
      warmUpMs: 90,
      stop: 'budget',
    });
  });
});

describe('FileChoiceCache', () => {
  const choice: CachedChoice = {
    engineSet: 'wasm=cpu,webgpu=gpu',
    engine: 'webgpu',
    device: 'gpu',
    figures: [],
    skipped: [],
    calibrationMs: 120,
    at: 1,
  };

  it('keeps choices per model in one JSON file', async () => {
    const files = new Map<string, string>();
    const fs = {
      readFile: async (p: string) => {
        const text = files.get(p);
        if (text === undefined) throw new Error('ENOENT');
        return text;
      },
      writeFile: async (p: string, t: string) => void files.set(p, t),
    };
    const cache = new FileChoiceCache('/c/engine-choices.json', fs);
    expect(await cache.get('aa')).toBeUndefined();
    await cache.set('aa', choice);
    await cache.set('bb', { ...choice, engine: 'wasm' });
    const again = new FileChoiceCache('/c/engine-choices.json', fs);
    expect(await again.get('aa')).toEqual(choice);
    expect((await again.get('bb'))?.engine).toBe('wasm');
  });

  it('treats a malformed file as empty rather than failing the load', async () => {
    for (const text of ['{not json', '[1,2]', '{"aa": {"engine": 3}}']) {
      const cache = new FileChoiceCache('/x', { readFile: async () => text, writeFile: async () => {} });
      expect(await cache.get('aa')).toBeUndefined();
    }
  });
});
