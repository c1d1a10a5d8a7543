/**
 * The report a person attaches to a bug report: one ZIP with the verdicts as text and JSON and
 * the USB trace of the run (JSON lines, one transfer each, as `reef --trace` writes them).
 */
import { strToU8, zipSync } from 'fflate';
import { reportText, type DoctorReport } from './report.ts';

export const TRACE_FILE = 'usb-trace.jsonl';

const README = `Reef self-test report ("Check my Coral" / reef doctor).
report.txt       the verdict of each step, for people
report.json      the same with measured values, environment and device identity
${TRACE_FILE}  every USB transfer of the run, one JSON object per line
                 (direction, type, setup or endpoint, length, status, first bytes as hex)
`;

export function reportFileName(report: DoctorReport): string {
  return `reef-doctor-${report.startedAt.replace(/[:.]/g, '-')}.zip`;
}

/** `trace`: the JSON lines recorded during the run (empty when none was recorded). */
export function reportZip(report: DoctorReport, trace: string): Uint8Array {
  const transfers = trace.split('\n').filter((l) => l.trim() !== '').length;
  const withTrace = { ...report, trace: { file: TRACE_FILE, transfers } };
  return zipSync(
    {
      'README.txt': strToU8(README),
      'report.txt': strToU8(`${reportText(report)}\n`),
      'report.json': strToU8(`${JSON.stringify(withTrace, null, 2)}\n`),
      [TRACE_FILE]: strToU8(trace),
    },
    { level: 6 },
  );
}
