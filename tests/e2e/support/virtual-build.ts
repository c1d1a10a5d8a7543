/**
 * The virtual-coral TEST build (REEF_TEST_USB=virtual-coral, see vite.config.ts): built ONCE per
 * Playwright run into .cache/dist-virtual (dist/ of the other specs is untouched) and served by each
 * spec on its own port, so the specs stay independent (own server, own pages) without paying a
 * `vite build` each. The emulator is a test double: nothing measured against it is a hardware result.
 *
 * In a spec:
 *
 *   const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_X_PORT'] ?? 4190));
 *   test('…', async ({ page }) => { await page.goto(`${coral.origin}/#/devices`); … });
 *
 * Page actions (connect, flash, unplug, bus state) are in virtual-coral-ui.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from '@playwright/test';
import { servePreview, type PreviewServer } from '../../support/preview-server.ts';

export const VIRTUAL_BUILD_DIR = '.cache/dist-virtual';
/** Which Playwright run built the directory: a later spec of the same run reuses it. */
const STAMP = join(VIRTUAL_BUILD_DIR, '.reef-e2e-run');
/** Held while building, by pid (a lock left by a killed process is taken over). */
const LOCK = `${VIRTUAL_BUILD_DIR}.lock`;
const ENV = { ...process.env, REEF_TEST_USB: 'virtual-coral', REEF_E2E_MIRROR: '1' };

/**
 * The run's id: global-setup.ts sets it once for every worker of a run; without it (a bench, a
 * script) this process builds afresh once.
 */
function runId(): string {
  return (process.env['REEF_E2E_RUN'] ??= `${process.pid}-${Date.now()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in the lock file; 0 while its holder is between creating and writing it, or gone. */
function holderOf(): { pid: number; ageMs: number } {
  try {
    return { pid: Number(readFileSync(LOCK, 'utf8')), ageMs: Date.now() - statSync(LOCK).mtimeMs };
  } catch {
    return { pid: 0, ageMs: 0 };
  }
}

async function withLock<T>(work: () => T): Promise<T> {
  mkdirSync(dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = holderOf();
      // A dead holder's lock is stale; so is one that never got its pid written.
      if ((holder.pid > 0 && !alive(holder.pid)) || (holder.pid === 0 && holder.ageMs > 10_000)) {
        rmSync(LOCK, { force: true });
      } else if (Date.now() > deadline) {
        throw new Error(`${LOCK} is held by pid ${holder.pid} for too long`);
      } else {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/** Builds the test build unless this run built it already; returns its directory. */
export async function ensureVirtualBuild(): Promise<string> {
  const id = runId();
  await withLock(() => {
    if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === id) return;
    const build = spawnSync(
      'npx',
      ['vite', 'build', '--outDir', VIRTUAL_BUILD_DIR, '--emptyOutDir', '--logLevel', 'warn'],
      { env: ENV, encoding: 'utf8' },
    );
    if (build.status !== 0) throw new Error(`virtual-coral test build failed:\n${build.stderr}`);
    writeFileSync(STAMP, id);
  });
  return VIRTUAL_BUILD_DIR;
}

export type VirtualBuild = PreviewServer;

/** The test build (built once per run) served by `vite preview` on `port`. */
export async function startVirtualBuild(port: number): Promise<VirtualBuild> {
  return servePreview(port, { outDir: await ensureVirtualBuild(), env: ENV });
}

/**
 * For a spec file: its tests run in order (serial), the test build is served on `port` before the
 * first and stopped after the last. `origin` is readable inside tests.
 */
export function useVirtualCoral(port: number): { readonly origin: string } {
  let build: VirtualBuild | undefined;
  test.describe.configure({ mode: 'serial' });
  test.beforeAll(async () => {
    // The first spec of a run builds (about a minute on 2 busy cores); the rest only serve.
    test.setTimeout(300_000);
    build = await startVirtualBuild(port);
  });
  test.afterAll(() => build?.stop());
  return {
    get origin(): string {
      if (!build) throw new Error('the virtual-coral build is served from beforeAll: read origin inside a test');
      return build.origin;
    },
  };
}
