import { describe, expect, it } from 'vitest';
import { describeCapabilities, overallLevel } from '../../../src/app/features/system/guidance.ts';
import type { Capabilities } from '../../../src/worker/capabilities.ts';

const chromium: Capabilities = {
  webUsb: true,
  crossOriginIsolated: true,
  sharedArrayBuffer: true,
  wasmThreads: true,
  wasmSimd: true,
  jspi: true,
  webGpu: true,
  webGpuAdapter: false,
  hardwareConcurrency: 8,
  userAgent: 'test',
};

describe('describeCapabilities', () => {
  it('is all green on an isolated Chromium', () => {
    const items = describeCapabilities(chromium);
    expect(overallLevel(items)).toBe('ok');
    expect(items.find((i) => i.id === 'wasmThreads')?.detail).toContain('all 8 cores');
  });

  it('explains the WASM fallback when WebUSB is missing (Firefox, Safari)', () => {
    const items = describeCapabilities({ ...chromium, webUsb: false });
    const usb = items.find((i) => i.id === 'webUsb');
    expect(usb?.level).toBe('warn');
    expect(usb?.detail).toMatch(/Firefox and Safari/);
    expect(usb?.detail).toMatch(/WebAssembly/);
    expect(overallLevel(items)).toBe('warn');
  });

  it('says threads are off when the page is not cross-origin isolated', () => {
    const items = describeCapabilities({ ...chromium, crossOriginIsolated: false, wasmThreads: false });
    expect(items.find((i) => i.id === 'crossOriginIsolated')?.detail).toMatch(/threads are disabled/);
    expect(items.find((i) => i.id === 'wasmThreads')?.level).toBe('warn');
  });
});
