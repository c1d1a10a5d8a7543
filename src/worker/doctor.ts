/**
 * "Check my Coral" in the accelerator worker: the self-test of src/lib/doctor on one TPU of the
 * worker's device pool, with the USB trace of the run, packed as the report ZIP the page offers for
 * download. Test files come from what the person already has (catalog downloads and imported files,
 * matched by sha256), else are downloaded with their pinned sha256 into a cache of their own (so
 * they do not show up as the person's models); a file that cannot be had skips its step.
 */
import {
  reportFileName,
  reportZip,
  runSelfTest,
  type DoctorFileSource,
  type DoctorReport,
  type StepResult,
} from '../lib/doctor/index.ts';
import type { DevicePool, TraceSwitch } from '../lib/edgetpu/index.ts';
import { workerLiteRtLoader } from '../lib/runtime/index.ts';
import { CacheStorageFileCache, fetchPinnedFile, type FileCache } from '../lib/zoo/index.ts';
import { liteRtBaseUrl } from './litert-files.ts';
import type { ModelLibrary } from './model-library.ts';

export type { DoctorReport, StepResult };

export interface DoctorOptions {
  /** Base URL of the published files (the Models page's setting); default the public one. */
  baseUrl?: string;
  /** Download missing test files (pinned sha256). Default true. */
  download?: boolean;
  /** Timed runs of the latency step. Default 20. */
  latencyRuns?: number;
}

export interface DoctorOutcome {
  report: DoctorReport;
  /** The report ZIP (report.txt, report.json, usb-trace.jsonl). */
  zip: Uint8Array;
  fileName: string;
}

function browserEnvironment(): Record<string, string> {
  const nav = navigator as typeof navigator & { userAgentData?: { platform?: string }; platform?: string };
  const env: Record<string, string> = {
    runtime: `browser worker: ${nav.userAgent}`,
    os: nav.userAgentData?.platform || nav.platform || 'unknown',
    reef: __REEF_VERSION__,
    crossOriginIsolated: String(self.crossOriginIsolated),
    cpus: String(nav.hardwareConcurrency ?? 'unknown'),
  };
  return env;
}

function workerFiles(library: ModelLibrary, cache: FileCache, options: DoctorOptions): DoctorFileSource {
  return {
    async get(file) {
      try {
        return await library.read(file.sha256);
      } catch {
        // not among the person's files
      }
      if (options.download === false) return cache.get(file.sha256);
      return fetchPinnedFile(file, { cache, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
    },
    howToGet: (names) =>
      `Download it on the Models page (or import ${names.length > 1 ? 'the files' : 'the file'} there), then check again; Reef also fetches it by itself when online.`,
  };
}

export async function runDoctor(
  pool: DevicePool,
  trace: TraceSwitch,
  library: ModelLibrary,
  deviceId: string,
  options: DoctorOptions,
  onStep?: (step: StepResult) => void,
): Promise<DoctorOutcome> {
  const wasTracing = trace.enabled;
  const start = trace.recorder.lines.length;
  trace.enable();
  let report: DoctorReport;
  let lines: string[];
  try {
    report = await runSelfTest({
      pool,
      device: deviceId,
      liteRtLoader: workerLiteRtLoader({ baseUrl: liteRtBaseUrl() }),
      files: workerFiles(library, new CacheStorageFileCache('reef-doctor-v1'), options),
      environment: browserEnvironment(),
      reefVersion: __REEF_VERSION__,
      ...(options.latencyRuns ? { latencyRuns: options.latencyRuns } : {}),
      ...(onStep ? { onStep } : {}),
    });
  } finally {
    lines = trace.recorder.lines.slice(start);
    // A trace the person had switched on keeps its lines for their own download.
    if (!wasTracing) {
      trace.take();
      trace.disable();
    }
  }
  return { report, zip: reportZip(report, lines.join('\n')), fileName: reportFileName(report) };
}
