/** What this browser can do, measured from inside the worker that will do the work. */
import { withDeadline } from '../lib/deadline.ts';

export interface Capabilities {
  /** `navigator.usb` exists in this worker (Chromium on desktop and Android). */
  webUsb: boolean;
  /** The worker runs cross-origin isolated (COOP + COEP), which SharedArrayBuffer needs. */
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  /** WebAssembly threads: shared memory and atomics validate, and the page is isolated. */
  wasmThreads: boolean;
  wasmSimd: boolean;
  /** JavaScript Promise Integration (WebAssembly.Suspending / promising). */
  jspi: boolean;
  /** `navigator.gpu` exists; `webGpuAdapter` says whether an adapter was actually granted. */
  webGpu: boolean;
  webGpuAdapter: boolean;
  hardwareConcurrency: number;
  userAgent: string;
}

// Smallest modules that use one feature each; WebAssembly.validate says whether the engine knows it.
// threads: a function doing an atomic load on a shared memory.
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0,
  26, 11,
]);
// simd: a function returning an i8x16.splat result.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

function validates(bytes: Uint8Array): boolean {
  try {
    return WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    // Engines without WebAssembly at all throw here; that is a plain "no".
    return false;
  }
}

async function hasWebGpuAdapter(timeoutMs: number): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await withDeadline(gpu.requestAdapter(), timeoutMs, 'no WebGPU adapter in time')) != null;
  } catch {
    // Too late, or a blocklisted GPU that rejects instead of resolving null: either way no adapter.
    return false;
  }
}

export async function detectCapabilities(): Promise<Capabilities> {
  const isolated = globalThis.crossOriginIsolated === true;
  const sab = typeof SharedArrayBuffer === 'function';
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  return {
    webUsb: typeof navigator !== 'undefined' && 'usb' in navigator && navigator.usb != null,
    crossOriginIsolated: isolated,
    sharedArrayBuffer: sab,
    wasmThreads: isolated && sab && validates(THREADS_PROBE),
    wasmSimd: validates(SIMD_PROBE),
    jspi: typeof wasm['Suspending'] === 'function' || typeof wasm['promising'] === 'function',
    webGpu: typeof navigator !== 'undefined' && 'gpu' in navigator,
    webGpuAdapter: await hasWebGpuAdapter(1000),
    hardwareConcurrency: navigator.hardwareConcurrency ?? 1,
    userAgent: navigator.userAgent,
  };
}
