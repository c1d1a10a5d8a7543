/** Plain-language advice for what a browser can and cannot do, from the worker's capabilities. */
import type { Capabilities } from '../../../worker/capabilities.ts';

export type GuidanceLevel = 'ok' | 'warn' | 'error';
export interface Guidance {
  id: keyof Capabilities | 'overall';
  level: GuidanceLevel;
  title: string;
  detail: string;
}

export function describeCapabilities(c: Capabilities): Guidance[] {
  const items: Guidance[] = [];
  items.push(
    c.webUsb
      ? {
          id: 'webUsb',
          level: 'ok',
          title: 'WebUSB available',
          detail: 'Reef can drive a Coral USB Accelerator from a background worker.',
        }
      : {
          id: 'webUsb',
          level: 'warn',
          title: 'No WebUSB in this browser',
          detail:
            'Firefox and Safari do not offer WebUSB, so the Coral cannot be reached from here. Every model still runs on the CPU in WebAssembly; use Chrome, Edge or another Chromium browser for the accelerator.',
        },
  );
  items.push(
    c.crossOriginIsolated
      ? {
          id: 'crossOriginIsolated',
          level: 'ok',
          title: 'Cross-origin isolated',
          detail: 'SharedArrayBuffer is available to the worker.',
        }
      : {
          id: 'crossOriginIsolated',
          level: 'warn',
          title: 'Page is not cross-origin isolated',
          detail:
            'The server did not send COOP/COEP headers, so SharedArrayBuffer and WebAssembly threads are disabled: the CPU fallback runs single-threaded (about half the speed). Serve Reef with the headers in _headers.',
        },
  );
  items.push(
    c.wasmThreads
      ? {
          id: 'wasmThreads',
          level: 'ok',
          title: 'WebAssembly threads',
          detail: `The CPU fallback can use all ${c.hardwareConcurrency} cores.`,
        }
      : {
          id: 'wasmThreads',
          level: 'warn',
          title: 'No WebAssembly threads',
          detail: 'The CPU fallback runs on one core.',
        },
  );
  items.push(
    c.wasmSimd
      ? {
          id: 'wasmSimd',
          level: 'ok',
          title: 'WebAssembly SIMD',
          detail: 'Vector instructions speed up CPU inference.',
        }
      : {
          id: 'wasmSimd',
          level: 'warn',
          title: 'No WebAssembly SIMD',
          detail: 'CPU inference uses the slower compatibility build.',
        },
  );
  items.push(
    c.jspi
      ? { id: 'jspi', level: 'ok', title: 'JSPI', detail: 'WebAssembly can await JavaScript promises directly.' }
      : { id: 'jspi', level: 'ok', title: 'No JSPI', detail: 'Not needed: Reef uses the threaded build instead.' },
  );
  items.push(
    c.webGpuAdapter
      ? { id: 'webGpu', level: 'ok', title: 'WebGPU', detail: 'A GPU adapter is available for training.' }
      : {
          id: 'webGpu',
          level: 'ok',
          title: c.webGpu ? 'WebGPU without an adapter' : 'No WebGPU',
          detail: 'Training runs on the CPU (WebAssembly) backend instead; small heads still train in seconds.',
        },
  );
  return items;
}

export function overallLevel(items: readonly Guidance[]): GuidanceLevel {
  if (items.some((i) => i.level === 'error')) return 'error';
  if (items.some((i) => i.level === 'warn')) return 'warn';
  return 'ok';
}
