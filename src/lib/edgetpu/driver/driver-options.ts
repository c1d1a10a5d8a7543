/**
 * Every tunable of the Edge TPU driver in one place, with its default and why (libedgetpu keeps
 * them in `UsbDriverOptions` the same way). `resolveOptions` checks each value, so a wrong option is
 * a typed INVALID_ARGUMENT naming it, never a TypeError deep in the register code.
 */
import { ReefError } from '../../errors.ts';
import type { TraceRecorder } from '../usb/trace.ts';
import type { UsbHostLike } from '../usb/device.ts';
import { CLOCK_PRESETS, type ClockPreset } from '../usb/registers.ts';

/**
 * libedgetpu's names for the same presets: its TFLite option `Performance` takes Low/Medium/High/Max,
 * and its two builds are called std (throttled to High) and max (protocol §3.4).
 */
export const CLOCK_ALIASES: Readonly<Record<string, ClockPreset>> = {
  std: 'high',
  throttled: 'high',
  performance_low: 'low',
  performance_medium: 'medium',
  performance_high: 'high',
  performance_max: 'max',
};

export type ClockName = ClockPreset | 'std' | 'Low' | 'Medium' | 'High' | 'Max';

export interface EdgeTpuOptions {
  /** Name in messages and traces, e.g. `usb:0`. Default `edgetpu`. */
  label?: string;
  /**
   * Core clock preset (protocol §3.4). `high` = libedgetpu1-std (250 MHz, the default: the stick
   * stays cooler), `max` = libedgetpu1-max (500 MHz); `low`/`medium` throttle further. libedgetpu's
   * names are accepted too (`std`, `Low`…`Max`).
   */
  clock?: ClockName;
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
  /**
   * Port-reset the stick before the first open, as libedgetpu and webcoral do (protocol §2.3), so
   * a stick a crashed tab left mid-request starts clean. Skipped for a device `flashFirmware` just
   * brought up (its reset already happened). Default true.
   */
  resetOnOpen?: boolean;
  /**
   * Pause after a reset before the first transfer. libedgetpu sleeps 1 s, but it also closes the
   * handle and waits for the device to reappear; WebUSB's `reset()` resolves once the port reset is
   * done, and failed opens are retried anyway (`openRetries`). Default 100 ms (a guess, not measured).
   */
  settleMs?: number;
  /** Opens tried after a reset before giving up (libedgetpu: 25, 1 s apart). Default 5. */
  openRetries?: number;
  /** Pause between those opens. Default 200 ms. */
  openRetryDelayMs?: number;
  /**
   * Where to find the stick again when a reset makes it re-enumerate as a new `USBDevice`
   * (navigator.usb, node-usb's WebUSB, the emulator). Without it such a reset ends in `device-gone`.
   */
  usb?: UsbHostLike;
  /** How long to wait for the same stick to come back after a reset. Default 5000 ms. */
  reconnectTimeoutMs?: number;
  /** Record every transfer (see `createTraceRecorder`). */
  trace?: TraceRecorder;
}

type Plain = Required<Omit<EdgeTpuOptions, 'trace' | 'usb' | 'clock'>>;

export type ResolvedOptions = Plain & { clock: ClockPreset } & Pick<EdgeTpuOptions, 'trace' | 'usb'>;

export const DEFAULT_OPTIONS: Readonly<Plain & { clock: ClockPreset }> = {
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
  resetOnOpen: true,
  settleMs: 100,
  openRetries: 5,
  openRetryDelayMs: 200,
  reconnectTimeoutMs: 5000,
};

function invalid(message: string): ReefError {
  return new ReefError('INVALID_ARGUMENT', `Edge TPU option ${message}`, { reason: 'bad-option' });
}

/** A preset name, or libedgetpu's name for it; anything else is an INVALID_ARGUMENT listing the choices. */
export function resolveClock(value: unknown): ClockPreset {
  if (typeof value === 'string') {
    const name = value.trim().toLowerCase();
    if (Object.hasOwn(CLOCK_PRESETS, name)) return name as ClockPreset;
    const alias = CLOCK_ALIASES[name] ?? CLOCK_ALIASES[`performance_${name}`];
    if (alias) return alias;
  }
  throw new ReefError(
    'INVALID_ARGUMENT',
    `Edge TPU option clock: unknown clock ${JSON.stringify(value)}; use one of ${Object.keys(CLOCK_PRESETS).join(', ')} ` +
      '(libedgetpu names: std = high, Low/Medium/High/Max)',
    { reason: 'bad-clock' },
  );
}

const WHOLE_COUNTS = new Set(['postedOutputReads', 'openRetries', 'maxBulkOutBytes']);
const FLAGS = new Set(['forceLargestBulkInChunk', 'bulkDescriptorsFromDevice', 'recover', 'resetOnOpen']);

function checkValue(key: string, value: unknown): void {
  if (key === 'label') {
    if (typeof value !== 'string') throw invalid(`label must be a string, got ${typeof value}`);
  } else if (FLAGS.has(key)) {
    if (typeof value !== 'boolean') throw invalid(`${key} must be true or false, got ${JSON.stringify(value)}`);
  } else if (WHOLE_COUNTS.has(key)) {
    const min = key === 'openRetries' ? 0 : 1;
    if (!Number.isInteger(value) || (value as number) < min)
      throw invalid(`${key} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${key} must be a number of milliseconds ≥ 0, got ${JSON.stringify(value)}`);
  }
}

export function resolveOptions(options: EdgeTpuOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'trace' || key === 'usb') {
      (resolved as unknown as Record<string, unknown>)[key] = value;
      continue;
    }
    if (key === 'clock') {
      resolved.clock = resolveClock(value);
      continue;
    }
    if (!Object.hasOwn(DEFAULT_OPTIONS, key)) {
      throw invalid(`${key} is not an option (known: ${Object.keys(DEFAULT_OPTIONS).join(', ')}, trace, usb)`);
    }
    checkValue(key, value);
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}
