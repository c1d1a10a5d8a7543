import { expect, test } from '@playwright/test';
import { importFixtures } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

test.describe('kiosk', () => {
  test('started by URL: no navigation chrome, and says plainly when the model is missing', async ({ page }) => {
    const watch = await watchPage(page);
    await page.goto('/?kiosk&model=not-a-model&task=classify');
    await expect(page.getByRole('main', { name: 'Reef kiosk' })).toBeVisible();
    await expect(page.getByRole('navigation')).toHaveCount(0);
    const status = page.getByTestId('kiosk-status');
    await expect(status).toContainText('No model “not-a-model” on this device.');
    await expect(status).toContainText('download or import the model on the Models page');
    await page.screenshot({ path: 'test-results/screens/kiosk-missing-desktop.png' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/kiosk-missing-phone.png' });
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });

  test('starts inference with no clicks and recovers from a crashed worker', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await page.goto('/?kiosk&model=mobilenet_v1_0.25_128_quant.tflite&task=classify');
    await expect(page.getByRole('navigation')).toHaveCount(0);
    const topK = page.getByTestId('top-k');
    await expect(topK).toContainText('Egyptian cat', { timeout: 60_000 });
    await expect(topK).toContainText('tiger cat');
    await expect(page.getByTestId('kiosk-engine')).toHaveText('litert-wasm · cpu');
    await expect(page.getByTestId('kiosk-status')).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screens/kiosk-running-desktop.png' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/kiosk-running-phone.png' });

    // Kill the accelerator worker from inside: an uncaught error ends it for the page.
    const worker = page.workers().find((w) => w.url().includes('accelerator'));
    expect(worker).toBeDefined();
    await worker?.evaluate(() => {
      setTimeout(() => {
        throw new Error('injected crash');
      });
    });
    await expect(page.getByTestId('kiosk-status')).toContainText('Restarting it');
    // A fresh worker loads the model again and the overlay comes back by itself.
    await expect(page.getByTestId('kiosk-status')).toHaveCount(0, { timeout: 60_000 });
    await expect(topK).toContainText('Egyptian cat');
    await expect.poll(() => page.workers().filter((w) => w.url().includes('accelerator')).length).toBe(1);

    expect(watch.consoleErrors.filter((e) => !e.includes('injected crash'))).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
