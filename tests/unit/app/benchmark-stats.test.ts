import { describe, expect, it } from 'vitest';
import { percentile, speedups, summarize, toCsv } from '../../../src/app/features/benchmark/benchmark-stats.ts';

describe('benchmark stats', () => {
  it('takes nearest-rank percentiles', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 90)).toBe(9);
    expect(percentile(samples, 100)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes mean, median, p90, min and max', () => {
    expect(summarize([4, 2, 6])).toEqual({ count: 3, meanMs: 4, medianMs: 4, p90Ms: 6, minMs: 2, maxMs: 6 });
  });

  it('reports WASM-over-TPU median ratios per model', () => {
    const rows = [
      { model: 'a', engine: 'wasm', ranOn: 'cpu', samplesMs: [30, 30, 30] },
      { model: 'a', engine: 'usb:0', ranOn: 'usb:0', samplesMs: [3, 3, 3] },
      { model: 'b', engine: 'usb:0', ranOn: 'usb:0', samplesMs: [1] },
    ];
    expect(speedups(rows)).toEqual([{ model: 'a', device: 'usb:0', ratio: 10 }]);
  });

  it('writes one CSV line per iteration and quotes awkward names', () => {
    const csv = toCsv([{ model: 'm,1', engine: 'wasm', ranOn: 'litert-wasm · cpu', samplesMs: [1.23456, 2] }]);
    expect(csv).toBe(
      'model,engine,ran_on,iteration,latency_ms\n"m,1",wasm,litert-wasm · cpu,1,1.235\n"m,1",wasm,litert-wasm · cpu,2,2.000\n',
    );
  });
});
