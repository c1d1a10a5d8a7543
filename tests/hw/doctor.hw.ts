/** `reef doctor` on a real Coral (REEF_HW=1 npm run test:hw): every known-answer test must pass. */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { doctor } from '../../src/cli/commands/doctor.ts';
import { parseTrace } from '../../src/lib/edgetpu/index.ts';
import { reportText, type DoctorReport } from '../../src/lib/doctor/index.ts';
import { fixturePath } from '../support/fixtures.ts';
import { DEVICE, fixtureModelArgs, hardwareUsb } from './support.ts';

describe(`reef doctor on ${DEVICE}`, () => {
  it('passes identity, clock and every known-answer test, and writes a report with the USB trace', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => process.stderr.write(`${t}\n`) };
    const zipFile = join(tmpdir(), `reef-doctor-hw-${process.pid}.zip`);
    const args = ['--json', '--device', DEVICE, '--out', zipFile, '--offline', ...(await fixtureModelArgs())];
    const code = await doctor([...args, '--firmware', await fixturePath('apex_latest_single_ep.bin')], io, hardwareUsb);
    const report = JSON.parse(out[0]!) as DoctorReport;
    console.log(reportText(report));
    const verdict = Object.fromEntries(report.steps.map((s) => [s.id, s.verdict]));
    expect(verdict).toMatchObject({
      identity: 'pass',
      clock: 'pass',
      testconv1: 'pass',
      classify: 'pass',
      'tiled-int8': 'pass',
      cocompiled: 'pass',
    });
    // A USB 2 port is a warning, not a failure; latency is informative.
    expect(verdict['usb-speed']).toMatch(/^(pass|warn)$/);
    expect(verdict['latency']).toMatch(/^(pass|warn)$/);
    expect(code).toBe(0);
    const zip = unzipSync(new Uint8Array(await readFile(zipFile)));
    const trace = parseTrace(strFromU8(zip['usb-trace.jsonl']!));
    expect(trace.filter((r) => r.type === 'bulk' && r.dir === 'out' && r.status === 'ok').length).toBeGreaterThan(10);
  });
});
