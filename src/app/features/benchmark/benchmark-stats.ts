/** Latency summaries and the CSV export of a benchmark run. */
export interface BenchmarkRow {
  model: string;
  /** What the person chose (`wasm`, `usb:0`). */
  engine: string;
  /** What actually ran, as the worker reports it (`litert-wasm · cpu`, `edgetpu · usb:0`). */
  /** Where it ran, in plain words ("CPU (WebAssembly)", "Coral usb:0"). */
  ranOn: string;
  /** The engine and device ids behind it (tooltip, CSV). */
  ranOnDetail?: string;
  /** A model compiled in segments: where each segment ran ("segment 0 → usb:0 · segment 1 → usb:1"). */
  placement?: string;
  samplesMs: number[];
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

/** Nearest-rank percentile on a sorted copy (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const n = samples.length;
  return {
    count: n,
    meanMs: n ? samples.reduce((a, b) => a + b, 0) / n : Number.NaN,
    medianMs: percentile(samples, 50),
    p90Ms: percentile(samples, 90),
    minMs: n ? Math.min(...samples) : Number.NaN,
    maxMs: n ? Math.max(...samples) : Number.NaN,
  };
}

/** WASM median over TPU median for the same model: how many times faster the TPU is. */
export function speedups(rows: readonly BenchmarkRow[]): { model: string; device: string; ratio: number }[] {
  const out: { model: string; device: string; ratio: number }[] = [];
  for (const tpu of rows.filter((r) => r.engine.startsWith('usb'))) {
    const wasm = rows.find((r) => r.model === tpu.model && r.engine === 'wasm');
    if (!wasm) continue;
    const ratio = summarize(wasm.samplesMs).medianMs / summarize(tpu.samplesMs).medianMs;
    if (Number.isFinite(ratio)) out.push({ model: tpu.model, device: tpu.engine, ratio });
  }
  return out;
}

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One line per iteration, so the file can be re-analysed anywhere. */
export function toCsv(rows: readonly BenchmarkRow[]): string {
  const lines = ['model,engine,ran_on,iteration,latency_ms'];
  for (const r of rows)
    r.samplesMs.forEach((ms, i) =>
      lines.push([r.model, r.engine, r.ranOnDetail ?? r.ranOn, i + 1, ms.toFixed(3)].map(csvField).join(',')),
    );
  return `${lines.join('\n')}\n`;
}

export function csvFileName(timeMs: number): string {
  return `reef-benchmark-${new Date(timeMs).toISOString().slice(0, 19).replaceAll(':', '-')}.csv`;
}
