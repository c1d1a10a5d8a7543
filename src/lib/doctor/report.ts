/** What "Check my Coral" produces: one verdict per step and the facts around them, as plain data. */

/** `warn`: works, but not as well as it should (slow link, latency well above Coral's figure). */
export type Verdict = 'pass' | 'fail' | 'skipped' | 'warn';

export type StepId =
  'identity' | 'usb-speed' | 'clock' | 'testconv1' | 'classify' | 'tiled-int8' | 'cocompiled' | 'latency';

export interface StepResult {
  id: StepId;
  title: string;
  verdict: Verdict;
  /** One line: why this verdict. */
  why: string;
  /** Wall time of the step. */
  ms: number;
  /** Measured values behind the verdict (JSON-safe). */
  details?: Record<string, string | number | boolean | null | (string | number)[]>;
}

export interface DeviceIdentity {
  id: string;
  personality: 'dfu' | 'app';
  vendorId: string;
  productId: string;
  serialNumber: string | null;
  manufacturerName: string | null;
  productName: string | null;
  usbVersion: string;
  deviceVersion: string;
  speed: string;
}

export interface DoctorReport {
  tool: 'reef doctor';
  reefVersion: string;
  startedAt: string;
  /** Browser or Node, OS, versions. */
  environment: Record<string, string>;
  /** `no-device`: nothing was tested; `fail`: some step failed; `pass`: none failed. */
  outcome: 'pass' | 'fail' | 'no-device';
  /** One line for people. */
  summary: string;
  device?: DeviceIdentity;
  steps: StepResult[];
  totalMs: number;
}

export function outcomeOf(steps: readonly StepResult[]): 'pass' | 'fail' {
  return steps.some((s) => s.verdict === 'fail') ? 'fail' : 'pass';
}

export function summaryOf(steps: readonly StepResult[]): string {
  const count = (v: Verdict): number => steps.filter((s) => s.verdict === v).length;
  const parts = [`${count('pass')} passed`, `${count('fail')} failed`];
  if (count('warn')) parts.push(`${count('warn')} warned`);
  if (count('skipped')) parts.push(`${count('skipped')} skipped`);
  return parts.join(', ');
}

/** The report as text, one line per step (the CLI prints this; the ZIP carries it too). */
export function reportText(report: DoctorReport): string {
  const lines = [`Reef ${report.reefVersion} self-test, ${report.startedAt}`];
  for (const [k, v] of Object.entries(report.environment)) lines.push(`  ${k}: ${v}`);
  if (!report.device) {
    lines.push('', report.summary);
    return lines.join('\n');
  }
  const d = report.device;
  lines.push(
    '',
    `${d.id}: ${d.productName ?? 'Coral'} ${d.vendorId}:${d.productId}, serial ${d.serialNumber ?? 'unknown'}, ${d.speed}`,
    '',
  );
  const width = Math.max(...report.steps.map((s) => s.title.length));
  for (const step of report.steps) {
    lines.push(`${step.verdict.toUpperCase().padEnd(7)} ${step.title.padEnd(width)}  ${step.why}`);
  }
  lines.push(
    '',
    `${report.outcome === 'pass' ? 'PASS' : 'FAIL'}: ${report.summary} (${Math.round(report.totalMs)} ms)`,
  );
  return lines.join('\n');
}
