/** The ladder's decisions in the page's words, including a calibration that finished in the background. */
import { describe, expect, it } from 'vitest';
import { decisionWords } from '../../../src/app/shared/engine-words.ts';
import type { EngineDecision } from '../../../src/worker/accelerator-api.ts';

const figure = (engine: 'wasm' | 'webgpu', label: string, medianMs: number) => ({
  engine,
  device: engine === 'wasm' ? 'cpu' : 'gpu',
  label,
  medianMs,
  maxError: 0,
  tolerance: 0,
});

describe('decisionWords', () => {
  it('says what runs while the rest is measured in the background', () => {
    const decision: EngineDecision = {
      kind: 'wasm',
      label: 'CPU (WebAssembly)',
      how: 'calibrating',
      figures: [figure('wasm', 'CPU (WebAssembly)', 1.23)],
      skipped: [],
      calibrationMs: 312,
      pending: ['GPU (WebGPU)'],
    };
    expect(decisionWords(decision)).toBe(
      'CPU (WebAssembly) 1.2 ms so far; measuring GPU (WebGPU) in the background, and the faster correct one takes over',
    );
  });

  it('gives the whole measurement and the part a person waited for', () => {
    const base = {
      kind: 'webgpu' as const,
      label: 'GPU (WebGPU)',
      how: 'calibrated' as const,
      figures: [figure('webgpu', 'GPU (WebGPU)', 0.8), figure('wasm', 'CPU (WebAssembly)', 1.23)],
      skipped: [],
      calibrationMs: 1411.6,
    };
    expect(decisionWords(base)).toBe(
      'fastest correct of GPU (WebGPU) 0.8 ms, CPU (WebAssembly) 1.2 ms (measured now in 1412 ms)',
    );
    expect(decisionWords({ ...base, waitedMs: 502.2 })).toBe(
      'fastest correct of GPU (WebGPU) 0.8 ms, CPU (WebAssembly) 1.2 ms (measured now in 1412 ms, the first 502 ms before the first result)',
    );
  });
});
