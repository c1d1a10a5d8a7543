/**
 * A default build publishes no source maps (vite.config.ts: only with REEF_SOURCEMAP=1): no .map
 * file in dist/, no sourceMappingURL in the scripts, and none served for the app's own scripts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const DIST = 'dist';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test('the production build neither emits nor serves source maps', async ({ page, request }) => {
  // The spec runs against the app the e2e run built (`vite build`, no REEF_SOURCEMAP).
  expect(process.env['REEF_SOURCEMAP']).toBeUndefined();
  const files = filesUnder(DIST);
  const scripts = files.filter((f) => f.endsWith('.js'));
  expect(scripts.length).toBeGreaterThan(3);
  expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  expect(scripts.filter((f) => readFileSync(f, 'utf8').includes('sourceMappingURL='))).toEqual([]);

  // What the browser loads (page and workers): no map beside any of it.
  const loaded = new Set<string>();
  page.on('response', (r) => {
    if (r.url().endsWith('.js')) loaded.add(r.url());
  });
  await page.goto('/#/system');
  await expect(page.getByTestId('summary')).toBeVisible();
  expect(loaded.size).toBeGreaterThan(1);
  for (const url of loaded) {
    const map = await request.get(`${url}.map`);
    const body = await map.text();
    expect(body.includes('"mappings"'), `${url}.map is served`).toBe(false);
  }
});
