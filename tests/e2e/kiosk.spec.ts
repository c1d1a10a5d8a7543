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
    await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', 'litert-wasm · cpu');
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

  test('a kiosk link copied from Models (stored file by sha256, catalog entry by id) opens and runs', async ({
    page,
    context,
  }) => {
    const watch = await watchPage(page);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await page
      .getByRole('table', { name: 'Stored files' })
      .getByRole('button', { name: 'Copy kiosk link for mobilenet_v1_0.25_128_quant.tflite' })
      .click();
    await expect(page.getByRole('status').filter({ hasText: 'Kiosk link copied.' })).toBeVisible();
    const stored = await page.evaluate(() => navigator.clipboard.readText());
    expect(stored).toMatch(/\/\?kiosk&model=[0-9a-f]{64}$/);
    await page.goto(stored);
    await expect(page.getByTestId('top-k')).toContainText('Egyptian cat', { timeout: 60_000 });

    // A catalog entry shows its id and copies a link by that id; the kiosk downloads it (from the
    // configured mirror, sha256-checked) and runs it on WASM with its CPU twin.
    await page.goto('/#/models');
    await page.getByText('Download source').click();
    await page.getByLabel(/Base URL of the model files/).fill(new URL('/__mirror', page.url()).toString());
    await page.getByRole('button', { name: 'Save' }).click();
    const card = page.locator('[data-entry="mobilenet-v1-0.25-128"]');
    await expect(card.getByTestId('entry-id')).toHaveText('mobilenet-v1-0.25-128');
    await card.getByRole('button', { name: 'Copy kiosk link for MobileNet v1 0.25 (ImageNet)' }).click();
    const fromCatalog = await page.evaluate(() => navigator.clipboard.readText());
    expect(fromCatalog).toBe(new URL('/?kiosk&model=mobilenet-v1-0.25-128&task=classify', page.url()).toString());
    await page.goto(fromCatalog);
    await expect(page.getByTestId('top-k')).toContainText('Egyptian cat', { timeout: 60_000 });
    await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', /cpu/);

    // The compiled file's name finds the same catalog entry, now stored.
    await page.goto('/?kiosk&model=mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    await expect(page.getByTestId('top-k')).toContainText('Egyptian cat', { timeout: 60_000 });
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});

test.describe('kiosk full screen', () => {
  // A booth screen larger than the window: the page does not fill it until it goes full screen.
  test.use({ screen: { width: 1920, height: 1080 } });

  test('shows one large Start that enters full screen and goes away', async ({ page, browser }) => {
    await page.goto('/?kiosk&model=not-a-model');
    const start = page.getByRole('button', { name: 'Start' });
    await expect(start).toBeVisible();
    expect(await page.evaluate(() => document.fullscreenElement)).toBeNull();
    await page.screenshot({ path: '/tmp/reef-i/kiosk-start-desktop.png' });
    // A phone held upright (a resized page takes the screen's size with it in Playwright).
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      screen: { width: 430, height: 932 },
    });
    const phonePage = await phone.newPage();
    await phonePage.goto(new URL('/?kiosk&model=not-a-model', page.url()).toString());
    await expect(phonePage.getByRole('button', { name: 'Start' })).toBeVisible();
    await phonePage.screenshot({ path: '/tmp/reef-i/kiosk-start-phone.png' });
    await phone.close();

    await start.click();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement !== null)).toBe(true);
    await expect(start).toHaveCount(0);
    // The kiosk's own message is still there, not hidden by the button.
    await expect(page.getByTestId('kiosk-status')).toContainText('No model “not-a-model” on this device.');
  });

  test('a browser started full screen (--kiosk / --start-fullscreen) shows no Start', async ({ page }) => {
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto('/?kiosk&model=not-a-model');
    await expect(page.getByTestId('kiosk-status')).toContainText('No model');
    await expect(page.getByRole('button', { name: 'Start' })).toHaveCount(0);
  });
});
