import { expect, test } from '@playwright/test';
import { overflowing } from './support/a11y.ts';
import { importFixtures, uploadSamples } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

const SHOTS = '/tmp/reef-i';

test.describe('start page', () => {
  test('`/` asks what the person has; each way leads on, and a stored model makes "run here" one click', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Start' })).toBeVisible();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'Start' })).toHaveAttribute('aria-current', 'page');
    await expect(nav.getByRole('link', { name: 'System' })).toBeAttached();
    const ways = page.getByRole('list', { name: 'Ways to start' });
    await expect(ways.getByRole('heading', { level: 2 })).toHaveText([
      'I have a Coral',
      'No Coral: run on this computer',
      'Teach a new model',
    ]);
    await expect(page.locator('[data-way="coral"]').getByRole('link', { name: 'Connect my Coral' })).toHaveAttribute(
      'href',
      '#/devices',
    );
    await expect(page.locator('[data-way="train"]').getByRole('link', { name: 'Teach a model' })).toHaveAttribute(
      'href',
      '#/train',
    );
    const cpu = page.locator('[data-way="cpu"]');
    await expect(cpu.getByRole('link', { name: 'Choose a model' })).toHaveAttribute('href', '#/models');
    await expect(page.getByTestId('start-offline')).toHaveCount(0);
    await page.screenshot({ path: `${SHOTS}/start-empty-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/start-empty-phone.png`, fullPage: true });

    await page.setViewportSize({ width: 1280, height: 800 });
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await page.goto('/');
    await expect(cpu).toContainText('One model is ready here, for example mobilenet_v1_0.25_128_quant.tflite');
    await page.screenshot({ path: `${SHOTS}/start-model-desktop.png`, fullPage: true });
    await cpu.getByRole('link', { name: 'Run a model' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });

  test('offline after the first visit: the start page says so and still offers every way', async ({
    page,
    context,
  }) => {
    const watch = await watchPage(page);
    await page.goto('/');
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Start' })).toBeVisible();
    await expect(page.getByTestId('start-offline')).toContainText('You are offline.');
    const cpu = page.locator('[data-way="cpu"]');
    await expect(cpu.getByRole('link', { name: 'Import model files' })).toHaveAttribute('href', '#/models');
    await page.screenshot({ path: `${SHOTS}/start-offline-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/start-offline-phone.png`, fullPage: true });
    await context.setOffline(false);
    expect(watch.pageErrors).toEqual([]);
  });

  test('offline first run: start page → teach → train from scratch → a live prediction, nothing fetched', async ({
    page,
    context,
  }) => {
    test.setTimeout(300_000);
    const watch = await watchPage(page);
    // The first visit installs the service worker; from then on nothing may leave this machine.
    await page.goto('/');
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await context.setOffline(true);
    const remote: string[] = [];
    page.on('request', (r) => {
      if (!/^(http:\/\/localhost[:/]|blob:|data:)/.test(r.url())) remote.push(r.url());
    });
    await page.reload();
    await expect(page.getByTestId('start-offline')).toBeVisible();
    await page.locator('[data-way="train"]').getByRole('link', { name: 'Teach a model' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Train' })).toBeVisible();

    await page.getByLabel('Name of class Class 1').fill('cat');
    await page.getByLabel('Name of class Class 1').press('Enter');
    await page.getByLabel('Name of class Class 2').fill('bird');
    await page.getByLabel('Name of class Class 2').press('Tab');
    // The fake camera shows cat.bmp: hold to record the cat class.
    await page.getByRole('button', { name: 'Start camera' }).click();
    const record = page.getByRole('button', { name: 'Hold to record cat' });
    // The button is disabled until the camera runs; a press on it before then records nothing, as
    // it would for a person, so wait for it the way they would (hover does not wait for enabled).
    await expect(record).toBeEnabled({ timeout: 30_000 });
    await record.hover();
    await page.mouse.down();
    await expect(record).toHaveAttribute('aria-pressed', 'true');
    const cats = page.locator('[data-class="cat"]').getByTestId('sample-count');
    await expect
      .poll(async () => Number((await cats.textContent())?.split(' ')[0]), { timeout: 30_000 })
      .toBeGreaterThan(7);
    await page.mouse.up();
    await uploadSamples(page, 'bird', [
      'bird.bmp',
      'imprinting_dog_train_0.bmp',
      'grace_hopper.bmp',
      'imprinting_hotdog_train_0.bmp',
    ]);
    await expect(page.locator('[data-class="bird"]').getByTestId('sample-count')).toHaveText('4 samples');

    const scratch = page.getByTestId('scratch-training');
    await scratch.getByRole('button', { name: 'Train from scratch' }).click();
    await expect(scratch.getByRole('status')).toContainText('Trained cat, bird', { timeout: 240_000 });
    await page.screenshot({ path: `${SHOTS}/train-scratch-done-desktop.png`, fullPage: true });
    await scratch.getByRole('link', { name: 'Try it live' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
    await expect(page.getByLabel('Model', { exact: true })).toHaveValue(/^file:/);
    // The labels stored beside the model are already picked: no second choice to make.
    const labels = page.getByLabel('Labels');
    const scratchLabels = await labels.locator('option', { hasText: '-scratch_labels.txt' }).getAttribute('value');
    await expect(labels).toHaveValue(scratchLabels ?? 'missing');
    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect(page.getByTestId('top-k')).toContainText('cat', { timeout: 60_000 });
    await page.screenshot({ path: `${SHOTS}/live-scratch-desktop.png`, fullPage: true });

    expect(remote).toEqual([]);
    await context.setOffline(false);
    expect(watch.pageErrors).toEqual([]);
  });
});
