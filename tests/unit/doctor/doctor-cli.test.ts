/** `reef doctor` on virtual Corals (node-usb's WebUSB is replaced by the emulated bus). */
import { mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { doctor, EXIT_NO_DEVICE } from '../../../src/cli/commands/doctor.ts';
import { parseTrace } from '../../../src/lib/edgetpu/index.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { EmulatedUsb, VirtualCoral } from '../../emulator/index.ts';
import { fixtureProgram, testconv1Twin } from '../../emulator/node-fixtures.ts';
import { fixturePath } from '../../support/fixtures.ts';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** A folder holding only testconv1's golden pair (links to the fixtures), as a person would pass it. */
async function testconv1Dir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reef-doctor-models-'));
  for (const name of [
    'testconv1-edgetpu.tflite',
    'testconv1-test-input.bin',
    'testconv1-expected-output.bin',
  ] as const) {
    await symlink(await fixturePath(name), join(dir, name));
  }
  return dir;
}

describe('reef doctor', () => {
  it('--json on a virtual Coral: verdicts per step, and --out writes a ZIP with the run’s USB trace', async () => {
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb, firmwareLoaded: true });
    const { program } = await fixtureProgram('testconv1-edgetpu.tflite');
    coral.registerModel('testconv1', program, await testconv1Twin(program));
    const out = join(tmpdir(), `reef-doctor-${process.pid}.zip`);
    const { io, out: lines } = captureIo();
    // Only testconv1 is in the folder given: the other tests must say "skipped", not pass.
    const code = await doctor(
      ['--json', '--offline', '--out', out, '--models', await testconv1Dir()],
      io,
      async () => usb,
    );
    const report = JSON.parse(lines[0]!) as {
      outcome: string;
      steps: { id: string; verdict: string; why: string }[];
      device: { id: string };
    };
    expect(report.device.id).toBe('usb:0');
    const verdict = Object.fromEntries(report.steps.map((s) => [s.id, s.verdict]));
    expect(verdict).toMatchObject({ identity: 'pass', 'usb-speed': 'pass', clock: 'pass', testconv1: 'pass' });
    for (const id of ['classify', 'tiled-int8', 'cocompiled', 'latency']) {
      expect(verdict[id]).toBe('skipped');
      expect(report.steps.find((s) => s.id === id)!.why).toMatch(/^model not available: .*--models DIR/);
    }
    expect(report.outcome).toBe('pass');
    expect(code).toBe(0);

    const zip = unzipSync(new Uint8Array(await readFile(out)));
    expect(Object.keys(zip).sort()).toEqual(['README.txt', 'report.json', 'report.txt', 'usb-trace.jsonl']);
    expect(strFromU8(zip['report.txt']!)).toMatch(/PASS {4}testconv1 golden output \(bit-exact\)/);
    const trace = parseTrace(strFromU8(zip['usb-trace.jsonl']!));
    // The golden input went out on bulk endpoint 1 and the output came back on 0x81.
    expect(trace.some((r) => r.dir === 'out' && r.type === 'bulk' && r.endpoint === 1 && r.status === 'ok')).toBe(true);
    expect(trace.filter((r) => r.dir === 'in' && r.type === 'bulk' && r.endpoint === 1).length).toBeGreaterThan(0);
    expect(JSON.parse(strFromU8(zip['report.json']!))).toMatchObject({ trace: { transfers: trace.length } });
    expect(coral.violations).toEqual([]);
  });

  it('a wrong testconv1 output is a FAIL and exit code 1', async () => {
    const usb = new EmulatedUsb();
    const coral = new VirtualCoral({ usb, firmwareLoaded: true });
    const { program } = await fixtureProgram('testconv1-edgetpu.tflite');
    const golden = await testconv1Twin(program);
    coral.registerModel('testconv1', program, async (inputs) => {
      const out = new Map(await golden(inputs));
      for (const [name, bytes] of out)
        out.set(
          name,
          bytes.map((b, i) => (i === 7 ? b ^ 0x80 : b)),
        );
      return out;
    });
    const { io, out } = captureIo();
    expect(await doctor(['--offline', '--models', await testconv1Dir()], io, async () => usb)).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(
      /FAIL {4}testconv1 golden output \(bit-exact\) +output differs from the golden file: 1 of 14400 bytes, first at byte 7/,
    );
    expect(text).toMatch(/^FAIL: /m);
  });

  it('without a Coral says so, tests nothing and exits 3', async () => {
    const { io, out } = captureIo();
    expect(await doctor([], io, async () => new EmulatedUsb())).toBe(EXIT_NO_DEVICE);
    expect(out[0]).toMatch(
      /^No Coral USB Accelerator is connected \(looked for 1a6e:089a and 18d1:9302\)\. Nothing was tested\./,
    );
    const json = captureIo();
    expect(await doctor(['--json'], json.io, async () => new EmulatedUsb())).toBe(3);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ outcome: 'no-device', steps: [] });
    // A computer whose USB cannot be listed has no Coral to test either.
    const broken = captureIo();
    const noUsb = async () => {
      throw new ReefError('UNAVAILABLE', 'cannot list USB devices (no /sys/bus/usb)', { reason: 'usb-unavailable' });
    };
    expect(await doctor([], broken.io, noUsb)).toBe(3);
    expect(broken.out[0]).toMatch(
      /Nothing was tested\. USB is not usable here: cannot list USB devices \(no \/sys\/bus\/usb\)$/,
    );
    expect(JSON.parse(json.out[0]!)).toMatchObject({ outcome: 'no-device', steps: [] });
  });
});
