/**
 * First paint of the built app in Chromium from `vite preview` on localhost, first visit (fresh
 * browser context: empty cache, no service worker), against a one-line HTML page served by the same
 * server in the same run. Goal (issue 17): first contentful paint ≤ 1 s on localhost.
 */
import { execSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';

const root = new URL('../../', import.meta.url).pathname;
const PORT = 4189;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const GOAL_MS = 1000;

execSync('npx vite build --logLevel error', { cwd: root, stdio: 'inherit' });
writeFileSync(join(root, 'dist', '__paint-baseline.html'), '<!doctype html><title>baseline</title><p>Reef</p>\n');
const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], {
  cwd: root,
  stdio: 'ignore',
  detached: true,
});

interface Paint {
  fcp: number;
  domContentLoaded: number;
}

try {
  await waitForServer(`http://localhost:${PORT}/`);
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const measure = async (path: string): Promise<Paint> => {
    const context = await browser.newContext({ baseURL: `http://localhost:${PORT}`, serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(path, { waitUntil: 'load' });
    const paint = await page.evaluate(
      () =>
        new Promise<Paint>((resolve) => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          new PerformanceObserver((list, observer) => {
            const fcp = list.getEntries().find((e) => e.name === 'first-contentful-paint');
            if (!fcp) return;
            observer.disconnect();
            resolve({ fcp: fcp.startTime, domContentLoaded: nav.domContentLoadedEventEnd });
          }).observe({ type: 'paint', buffered: true });
        }),
    );
    await context.close();
    return paint;
  };
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  const app: Paint[] = [];
  const base: Paint[] = [];
  await measure('/__paint-baseline.html'); // warm the server and the browser once
  for (let i = 0; i < RUNS; i++) {
    app.push(await measure('/'));
    base.push(await measure('/__paint-baseline.html'));
  }
  const appFcp = median(app.map((p) => p.fcp));
  const baseFcp = median(base.map((p) => p.fcp));
  console.log(`Chromium ${browser.version()}, first visit, ${RUNS} runs each, medians`);
  console.log(
    `app first contentful paint: ${appFcp.toFixed(0)} ms (DOMContentLoaded ${median(app.map((p) => p.domContentLoaded)).toFixed(0)} ms)`,
  );
  console.log(`one-line page first contentful paint (baseline): ${baseFcp.toFixed(0)} ms`);
  console.log(`app/baseline: ${(appFcp / baseFcp).toFixed(2)}x; app/goal (1 s): ${(appFcp / GOAL_MS).toFixed(3)}x`);
  await browser.close();
} finally {
  if (server.pid) process.kill(-server.pid);
}

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}
