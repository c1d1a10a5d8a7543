import { expect, test } from '@playwright/test';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { watchPage } from './support/page-watch.ts';

const PAGES = [
  { id: 'start', title: 'Start' },
  { id: 'devices', title: 'Devices' },
  { id: 'models', title: 'Models' },
  { id: 'live', title: 'Live' },
  { id: 'train', title: 'Train' },
  { id: 'benchmark', title: 'Benchmark' },
  { id: 'system', title: 'System' },
] as const;

test.describe('every page', () => {
  for (const { id, title } of PAGES) {
    test(`${title}: renders at desktop and phone width, labelled controls, no errors`, async ({ page }) => {
      const watch = await watchPage(page);
      await page.goto(`/#/${id}`);
      await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect(nav.getByRole('link', { name: title })).toHaveAttribute('aria-current', 'page');
      await page.waitForLoadState('networkidle');
      expect(await unlabelledControls(page)).toEqual([]);
      await page.screenshot({ path: `test-results/screens/${id}-desktop.png`, fullPage: true });

      await page.setViewportSize({ width: 390, height: 844 });
      await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
      // Every page stays reachable from a phone: the nav scrolls sideways, the page does not.
      for (const other of PAGES) await expect(nav.getByRole('link', { name: other.title })).toBeAttached();
      await nav.getByRole('link', { name: 'System' }).scrollIntoViewIfNeeded();
      await expect(nav.getByRole('link', { name: 'System' })).toBeInViewport();
      await page.evaluate(() => scrollTo(0, 0));
      await expect.poll(() => overflowing(page)).toEqual([]);
      await page.screenshot({ path: `test-results/screens/${id}-phone.png`, fullPage: true });

      expect(watch.consoleErrors).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(await watch.cspViolations()).toEqual([]);
    });
  }
});
