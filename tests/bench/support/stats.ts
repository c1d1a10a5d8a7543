/** Timing statistics the benchmarks print: order statistics of one sample, and ratios. */

/** The value below which `fraction` of the sample lies (nearest rank; 0.5 is the upper median). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) throw new Error('no values to take a percentile of');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** `a / b` as printed beside a figure, e.g. `1.23×`. */
export function ratio(a: number, b: number, digits = 2): string {
  return `${(a / b).toFixed(digits)}×`;
}
