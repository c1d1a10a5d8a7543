/**
 * A record of every USB transfer, one JSON object per line, for bug reports: what the driver asked
 * for (direction, type, setup or endpoint, length) and what came back (status, bytes).
 */
export interface TraceRecord {
  /** Milliseconds since the recorder started. */
  t: number;
  dir: 'in' | 'out';
  type: 'control' | 'bulk' | 'interrupt';
  /** Control transfers: the setup packet. */
  setup?: { requestType: USBRequestType; recipient: USBRecipient; request: number; value: number; index: number };
  /** Bulk/interrupt transfers: endpoint number (without the direction bit). */
  endpoint?: number;
  /** Bytes asked for (in) or sent (out). */
  length: number;
  /** `ok`, `stall`, `babble`, `timeout` or `error`. */
  status: string;
  /** Bytes that moved, hex; cut at the recorder's `dataLimitBytes` (then `truncated` is set). */
  data?: string;
  truncated?: boolean;
  /** For failures: the message. */
  error?: string;
  /** What the driver was doing, e.g. `readCsr32(scu_ctrl_3)`. */
  context?: string;
}

export type TraceSink = (record: TraceRecord) => void;

export interface TraceRecorderOptions {
  /** Keep at most this many data bytes per record (default 4096; Infinity keeps everything). */
  dataLimitBytes?: number;
  /** Called with each line as it is produced (e.g. append to a file); lines are also kept in `lines`. */
  onLine?: (line: string) => void;
  /** Keep the lines in memory (default true). */
  keep?: boolean;
  now?: () => number;
}

export interface TraceRecorder {
  sink: TraceSink;
  lines: string[];
  /** Hex of at most the limit; the transport calls this lazily so an unused trace costs nothing. */
  dataLimitBytes: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array, limit = Infinity): string {
  const n = Math.min(bytes.length, limit);
  let out = '';
  for (let i = 0; i < n; i++) out += HEX[bytes[i]!];
  return out;
}

export function createTraceRecorder(options: TraceRecorderOptions = {}): TraceRecorder {
  const lines: string[] = [];
  const now = options.now ?? (() => performance.now());
  const start = now();
  const keep = options.keep ?? true;
  const recorder: TraceRecorder = {
    lines,
    dataLimitBytes: options.dataLimitBytes ?? 4096,
    sink(record) {
      const line = JSON.stringify({ ...record, t: Math.round((record.t - start) * 1000) / 1000 });
      if (keep) lines.push(line);
      options.onLine?.(line);
    },
  };
  return recorder;
}

/** Parses JSON lines back into records (for tools and tests). */
export function parseTrace(text: string): TraceRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TraceRecord);
}

/**
 * A trace that can be switched on and off while devices stay open (the worker API's toggle): pass
 * `recorder` as the driver's `trace` option once; `enable()` starts keeping lines, `take()` hands
 * them over as one JSON-lines text (for a bug report download) and clears them.
 */
export interface TraceSwitch {
  readonly recorder: TraceRecorder;
  readonly enabled: boolean;
  enable(): void;
  disable(): void;
  /** The lines recorded since the last `take()`, newline-terminated. */
  take(): string;
}

export function createTraceSwitch(options: { dataLimitBytes?: number; maxLines?: number } = {}): TraceSwitch {
  const maxLines = options.maxLines ?? 200_000;
  let enabled = false;
  const inner = createTraceRecorder({ dataLimitBytes: options.dataLimitBytes ?? 4096 });
  const recorder: TraceRecorder = {
    lines: inner.lines,
    dataLimitBytes: inner.dataLimitBytes,
    sink(record) {
      if (!enabled) return;
      if (inner.lines.length >= maxLines) inner.lines.shift(); // keep the most recent transfers
      inner.sink(record);
    },
  };
  return {
    recorder,
    get enabled() {
      return enabled;
    },
    enable() {
      enabled = true;
    },
    disable() {
      enabled = false;
    },
    take() {
      const text = inner.lines.length ? `${inner.lines.join('\n')}\n` : '';
      inner.lines.length = 0;
      return text;
    },
  };
}
