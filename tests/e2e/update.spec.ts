import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

// `vite preview` serves dist/ from disk, so changing dist/sw.js is a real "new version deployed".
const swFile = new URL('../../dist/sw.js', import.meta.url);

test('offers the new version when one is deployed, and reloads into it', async ({ page }) => {
  const original = readFileSync(swFile);
  try {
    await page.goto('/');
    await page.evaluate(async () => navigator.serviceWorker.ready);
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const firstUrl = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);

    appendFileSync(swFile, `\n// deployed at ${Date.now()}\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());

    const toast = page.getByRole('status').filter({ hasText: 'A new version of Reef is ready.' });
    await expect(toast).toBeVisible();
    const reloaded = page.waitForEvent('load');
    await toast.getByRole('button', { name: 'Reload' }).click();
    await reloaded;
    await expect(page.getByRole('heading', { level: 1, name: 'Start' })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'A new version' })).toHaveCount(0);
    // The page is now controlled by the new worker, which the old one handed over to.
    const active = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { waiting: reg?.waiting != null, controlled: navigator.serviceWorker.controller?.scriptURL };
    });
    expect(active.waiting).toBe(false);
    expect(active.controlled).toBe(firstUrl);
  } finally {
    writeFileSync(swFile, original);
  }
});
