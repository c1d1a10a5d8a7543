/**
 * Every tunable of the Edge TPU driver in one place, with its default and why (libedgetpu keeps
 * them in `UsbDriverOptions` the same way).
 */
import type { TraceRecorder } from './trace.ts';
import type { ClockPreset } from './usb/registers.ts';

export interface EdgeTpuOptions {
  /** Name in messages and traces, e.g. `usb:0`. Default `edgetpu`. */
  label?: string;
  /**
   * Core clock preset (protocol §3.4). `high` = libedgetpu1-std (250 MHz, the default: the stick
   * stays cooler), `max` = libedgetpu1-max (500 MHz); `low`/`medium` throttle further.
   */
  clock?: ClockPreset;
  /** Timeout of every control and bulk OUT transfer (protocol §6: 6000 ms in libedgetpu). */
  transferTimeoutMs?: number;
  /** Longest wait for an output or completion event of one request. Default 6000 ms. */
  requestTimeoutMs?: number;
  /** Timeout of each CSR polling loop in the open sequence. Default 5000 ms. */
  pollTimeoutMs?: number;
  /** 1 KiB reads kept posted on the output endpoint (libedgetpu 32, the capture 8). Default 8. */
  postedOutputReads?: number;
  /** Use 1 KiB output chunks on USB 2 as well (libedgetpu option). Default false. */
  forceLargestBulkInChunk?: boolean;
  /** Largest single bulk OUT transfer (libedgetpu `max_bulk_out_transfer_size`). Default 1 MiB. */
  maxBulkOutBytes?: number;
  /**
   * Ask the device to report every DMA on the event endpoint (descr_ep = 0xFF, protocol §4.6, §4.10)
   * and check each report's address and length against the relocated buffers. Default false
   * (libedgetpu's default 0xF0: completion events only).
   */
  bulkDescriptorsFromDevice?: boolean;
  /** Reset and reopen the device after a transfer fault (protocol §6). Default true. */
  recover?: boolean;
  /** How long a `reset()` may take before it counts as failed. Default 5000 ms. */
  resetTimeoutMs?: number;
  /** Record every transfer (see `createTraceRecorder`). */
  trace?: TraceRecorder;
}

export type ResolvedOptions = Required<Omit<EdgeTpuOptions, 'trace'>> & Pick<EdgeTpuOptions, 'trace'>;

export const DEFAULT_OPTIONS: Readonly<Required<Omit<EdgeTpuOptions, 'trace'>>> = {
  label: 'edgetpu',
  clock: 'high',
  transferTimeoutMs: 6000,
  requestTimeoutMs: 6000,
  pollTimeoutMs: 5000,
  postedOutputReads: 8,
  forceLargestBulkInChunk: false,
  maxBulkOutBytes: 1024 * 1024,
  bulkDescriptorsFromDevice: false,
  recover: true,
  resetTimeoutMs: 5000,
};

export function resolveOptions(options: EdgeTpuOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}
