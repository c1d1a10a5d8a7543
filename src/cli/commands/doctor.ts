import { readFile, writeFile } from 'node:fs/promises';
import { arch, release, type } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '../options.ts';
import {
  reportText,
  reportZip,
  runSelfTest,
  type DoctorFileSource,
  type DoctorReport,
  type StepResult,
} from '../../lib/doctor/index.ts';
import { createTraceRecorder, DevicePool, flashFirmware, type UsbHostLike } from '../../lib/edgetpu/index.ts';
import { ReefError } from '../../lib/errors.ts';
import { fetchPinnedFile, sha256Hex } from '../../lib/zoo/index.ts';
import type { CliIo, Command } from '../command.ts';
import { nodeLiteRtLoader } from '../litert-node.ts';
import { DiskFileCache, loadFirmware } from '../usb/firmware.ts';
import { findCoral, listCorals, nodeUsb, permissionHint } from '../usb/node-usb.ts';

const USAGE = `Usage: reef doctor [--device usb:N] [--json] [--out report.zip] [--models DIR] [--offline]

"Check my Coral": a self-test of one Coral USB Accelerator (the same script as the Devices page's
button). Steps: identity and firmware, USB speed, open and clock, then known-answer tests —
testconv1's golden output (bit-exact), a classifier on cat.bmp against its CPU twin (WASM), MoveNet's
tiled int8 outputs against its CPU twin, a co-compiled pair with no parameter re-upload, and
latency against Coral's published figure. A stick in its bootloader gets the firmware first.

The models come from --models folders (file names as in Coral's test_data, checked against their
pinned sha256), else the download cache (~/.cache/reef), else are downloaded once (unless
--offline). A test whose files are missing is skipped and says how to get them.

Options:
  --device usb[:N]   which Coral (default: the first)
  --json             print the report as JSON
  --out FILE         write the report as a ZIP (report.txt, report.json, usb-trace.jsonl) to attach
                     to a bug report
  --models DIR       a folder with the self-test files (repeatable)
  --offline          never download; use only --models folders and the cache
  --firmware FILE    firmware for a stick in DFU mode (default: pinned download)
  --runs N           timed runs for the latency step (default 20)

Exit codes: 0 no step failed (warnings and skipped steps allowed), 1 a step failed, 2 bad usage,
3 no Coral attached (nothing was tested).
`;

export const EXIT_NO_DEVICE = 3;

function nodeEnvironment(): Record<string, string> {
  return {
    runtime: `Node.js ${process.version}`,
    os: `${type()} ${release()} (${arch()})`,
    platform: process.platform,
    reef: __REEF_VERSION__,
  };
}

/** --models folders first (sha256 checked), then the disk cache, then a pinned download. */
function cliFiles(dirs: readonly string[], offline: boolean, log: (line: string) => void): DoctorFileSource {
  const cache = new DiskFileCache();
  return {
    async get(file) {
      for (const dir of dirs) {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await readFile(join(dir, file.name)));
        } catch {
          continue; // not in this folder
        }
        if ((await sha256Hex(bytes)) === file.sha256) return bytes;
        log(`ignoring ${join(dir, file.name)}: its sha256 is not the pinned one (${file.sha256.slice(0, 12)}…)`);
      }
      const cached = await cache.get(file.sha256);
      if (cached || offline) return cached;
      try {
        return await fetchPinnedFile(file, { cache });
      } catch {
        return undefined; // offline or blocked: the step says how to get it
      }
    },
    howToGet: (names) =>
      `Run \`reef doctor\` once online (files are downloaded with a pinned sha256 and cached), or pass --models DIR with ${names.join(', ')}.`,
  };
}

const MARK = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIP', warn: 'WARN' } as const;

/** Reasons for which this computer's USB cannot show any Coral: the same outcome as none plugged in. */
const NO_USB = new Set(['usb-unavailable', 'no-usb-backend']);

/** `usb`: the bus, opened lazily so a computer without usable USB gets the "no Coral" answer too. */
export async function doctor(args: string[], io: CliIo, openUsb: () => Promise<UsbHostLike>): Promise<number> {
  const { values } = parseOptions({
    args,
    options: {
      device: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      models: { type: 'string', multiple: true, default: [] },
      offline: { type: 'boolean', default: false },
      firmware: { type: 'string' },
      runs: { type: 'string', default: '20' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new ReefError('INVALID_ARGUMENT', `--runs ${values.runs}: use a whole number ≥ 1`, { reason: 'bad-runs' });
  }
  const spec = values.device ?? 'usb';
  const trace = createTraceRecorder({ keep: true });
  const environment = nodeEnvironment();

  let usb: UsbHostLike | undefined;
  let corals: Awaited<ReturnType<typeof listCorals>> = [];
  let why = '';
  try {
    usb = await openUsb();
    corals = await listCorals(usb);
  } catch (error) {
    if (!(error instanceof ReefError && error.reason && NO_USB.has(error.reason))) throw error;
    why = ` USB is not usable here: ${error.message}`;
  }
  if (!usb || corals.length === 0) {
    const report: DoctorReport = {
      tool: 'reef doctor',
      reefVersion: __REEF_VERSION__,
      startedAt: new Date().toISOString(),
      environment,
      outcome: 'no-device',
      summary: `No Coral USB Accelerator is connected (looked for 1a6e:089a and 18d1:9302). Nothing was tested.${why}`,
      steps: [],
      totalMs: 0,
    };
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else io.out(why ? report.summary : `${report.summary}\n${permissionHint()}`);
    return EXIT_NO_DEVICE;
  }

  // A stick fresh from the port is its bootloader: put the firmware on first, as run and bench do.
  const entry = await findCoral(usb, spec);
  if (entry.personality === 'dfu') {
    io.err(`${entry.id} is in its DFU bootloader: flashing the firmware first…`);
    try {
      const firmware = await loadFirmware(values.firmware, io.err);
      await flashFirmware(entry.device, firmware, { usb, label: entry.id, trace });
      environment['firmware'] = `flashed by this run (${values.firmware ?? 'pinned apex_latest_single_ep.bin'})`;
    } catch (error) {
      // The identity step then reports the bootloader, with this reason in the log.
      io.err(`flash failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const pool = new DevicePool(usb, { driver: { trace } });
  let report: DoctorReport;
  try {
    report = await runSelfTest({
      pool,
      device: spec,
      liteRtLoader: nodeLiteRtLoader,
      files: cliFiles(values.models, values.offline, io.err),
      environment,
      reefVersion: __REEF_VERSION__,
      latencyRuns: runs,
      onStep: values.json ? undefined : (s: StepResult) => io.err(`${MARK[s.verdict]} ${s.title}`),
    });
  } finally {
    await pool.close();
  }
  if (values.out) {
    await writeFile(values.out, reportZip(report, trace.lines.join('\n')));
  }
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(reportText(report));
    if (values.out) io.out(`Report with the USB trace (${trace.lines.length} transfers): ${values.out}`);
  }
  if (report.outcome === 'no-device') return EXIT_NO_DEVICE;
  return report.outcome === 'pass' ? 0 : 1;
}

export const command: Command = {
  name: 'doctor',
  summary: '"Check my Coral": self-test of a Coral (identity, USB, clock, known-answer tests, latency) with a report',
  usage: USAGE,
  async run(args, io, deps) {
    return doctor(args, io, deps?.usb ?? nodeUsb);
  },
};
