/**
 * First paint of the built app in Chromium from `vite preview` on localhost, first visit (fresh
 * browser context: empty cache, no service worker), against a one-line HTML page served by the same
 * server in the same run. Goal (issue 17): first contentful paint ≤ 1 s on localhost.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, ROOT, withBuiltApp } from './support/browser.ts';
import { median, ratio } from './support/stats.ts';

const PORT = 4189;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const GOAL_MS = 1000;

interface Paint {
  fcp: number;
  domContentLoaded: number;
}

await withBuiltApp(PORT, async (origin) => {
  writeFileSync(join(ROOT, 'dist', '__paint-baseline.html'), '<!doctype html><title>baseline</title><p>Reef</p>\n');
  const browser = await launchChromium();
  const measure = async (path: string): Promise<Paint> => {
    const context = await browser.newContext({ baseURL: origin, serviceWorkers: 'block' });
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
  console.log(`app/baseline: ${ratio(appFcp, baseFcp)}; app/goal (1 s): ${ratio(appFcp, GOAL_MS, 3)}`);
  await browser.close();
});
