/**
 * Runs one hostile case in its own Node process, the way a person would meet it (the `reef` CLI,
 * or a small entry script), under a V8 heap cap, an RSS watchdog and a time limit, so a case that
 * blows up is killed and reported instead of taking the test runner (or the machine) with it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The whole process (heap, WASM memory, buffers) must stay under this. */
export const RSS_LIMIT_BYTES = 1024 * 1024 * 1024;
/** V8 heap cap given to each child. */
export const HEAP_LIMIT_MB = 768;
/**
 * Wall-clock limit per case. A case itself needs well under a second of work; the rest is Node,
 * tsx and LiteRT starting up on a machine that runs other tests at the same time.
 */
export const TIME_LIMIT_MS = 15_000;
const POLL_MS = 20;
const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;

export interface ChildResult {
  code: number | null;
  stdout: string;
  /** Bytes written to stdout (captured up to 8 MiB). */
  stdoutBytes: number;
  stderr: string;
  ms: number;
  peakRssBytes: number;
  killed: 'rss' | 'time' | null;
}

function rssOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** `node --max-old-space-size=… <args>` from the repository root, watched until it ends. */
export function runNode(args: string[], timeLimitMs = TIME_LIMIT_MS): Promise<ChildResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    if (outBytes < MAX_CAPTURE_BYTES) out.push(chunk);
    outBytes += chunk.length;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (errBytes < MAX_CAPTURE_BYTES) err.push(chunk);
    errBytes += chunk.length;
  });
  let peak = 0;
  let killed: ChildResult['killed'] = null;
  const watchdog = setInterval(() => {
    const usage = child.pid === undefined ? null : rssOf(child.pid);
    if (usage) peak = Math.max(peak, usage.rss, usage.hwm);
    if (!killed && peak > RSS_LIMIT_BYTES) killed = 'rss';
    if (!killed && performance.now() - started > timeLimitMs) killed = 'time';
    if (killed) child.kill('SIGKILL');
  }, POLL_MS);
  return new Promise((resolvePromise, reject) => {
    child.on('error', (error) => {
      clearInterval(watchdog);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(watchdog);
      resolvePromise({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stdoutBytes: outBytes,
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
        peakRssBytes: peak,
        killed,
      });
    });
  });
}

/** The `reef` CLI on `args`. */
export function runReef(...args: string[]): Promise<ChildResult> {
  return runNode(['bin/reef.js', ...args]);
}

/** A TypeScript entry script of this folder, through tsx. */
export function runEntry(script: string, ...args: string[]): Promise<ChildResult> {
  return runNode(['--import', 'tsx', resolve(REPO_ROOT, 'tests/unit/hostile', script), ...args]);
}

function summary(r: ChildResult): string {
  return `exit ${r.code}, ${r.killed ? `killed (${r.killed}), ` : ''}${Math.round(r.ms)} ms, peak RSS ${Math.round(r.peakRssBytes / 1048576)} MiB, stderr: ${r.stderr.slice(0, 600)}`;
}

/** Within memory and time, whatever the outcome. */
export function expectBounded(r: ChildResult): void {
  expect(r.killed, summary(r)).toBeNull();
  expect(r.peakRssBytes, summary(r)).toBeLessThan(RSS_LIMIT_BYTES);
  expect(r.stderr, `a stack trace escaped: ${summary(r)}`).not.toMatch(/\n\s+at /);
}

/**
 * A typed error and no result: non-zero exit, and either one readable stderr line ending in
 * `[CODE/reason]`, or (under `--json`) exactly one JSON error object on stdout — the CLI's
 * `--json` failure contract — and nothing else there.
 */
export function expectTypedError(r: ChildResult, reason?: RegExp): void {
  expectBounded(r);
  expect(r.code, summary(r)).not.toBe(0);
  const out = r.stdout.trim();
  if (out !== '') {
    expect(out.split('\n'), `printed a result after a failure: ${summary(r)}`).toHaveLength(1);
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(parsed), `printed a result after a failure: ${out}`).toEqual(['error']);
    const error = parsed['error'] as { code?: unknown; reason?: unknown; message?: unknown };
    expect(error.code, out).toMatch(/^[A-Z_]+$/);
    expect(typeof error.message, out).toBe('string');
    if (reason) expect(String(error.reason ?? ''), out).toMatch(reason);
    return;
  }
  const line = r.stderr.trim();
  expect(line.split('\n'), summary(r)).toHaveLength(1);
  const typed = /\[([A-Z_]+)(?:\/([a-z0-9-]+))?\]$/.exec(line);
  expect(typed, `not a typed error line: ${summary(r)}`).not.toBeNull();
  if (reason) expect(typed?.[2] ?? '', summary(r)).toMatch(reason);
}

/** A correct result: exit 0 within the limits; `check` validates the output. */
export function expectResult(r: ChildResult, check: (stdout: string) => void = () => {}): void {
  expectBounded(r);
  expect(r.code, summary(r)).toBe(0);
  check(r.stdout);
}

/** Either outcome is acceptable, as long as it is one of the two (and `check` holds for a result). */
export function expectTypedErrorOrResult(r: ChildResult, check: (stdout: string) => void = () => {}): void {
  if (r.code === 0 && !r.killed) expectResult(r, check);
  else expectTypedError(r);
}
