import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { watchPage } from './support/page-watch.ts';

async function upload(page: Page, className: string, names: FixtureName[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: `Upload images to ${className}` }).click();
  await (
    await chooser
  ).setFiles(
    await Promise.all(
      names.map(async (name) => ({ name, mimeType: 'image/bmp', buffer: Buffer.from(await readFixture(name)) })),
    ),
  );
}

const count = (page: Page, className: string) =>
  page.locator(`[data-class="${className}"]`).getByTestId('sample-count');

test.describe('training studio', () => {
  test('classes from the camera and from uploads persist across a reload; dataset ZIP round-trips', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await page.goto('/#/train');
    await expect(page.getByRole('heading', { level: 1, name: 'Train' })).toBeVisible();

    // A new project starts with two classes; name them.
    await page.getByLabel('Name of class Class 1').fill('cat');
    await page.getByLabel('Name of class Class 1').press('Enter');
    await page.getByLabel('Name of class Class 2').fill('bird');
    await page.getByLabel('Name of class Class 2').press('Tab');
    await expect(page.locator('[data-class="cat"]')).toBeVisible();
    await expect(page.locator('[data-class="bird"]')).toBeVisible();

    // Hold to record from the fake camera (it shows cat.bmp).
    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect(page.getByRole('button', { name: 'Stop camera' })).toBeVisible();
    const record = page.getByRole('button', { name: 'Hold to record cat' });
    await record.hover();
    await page.mouse.down();
    await expect(record).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(async () => Number((await count(page, 'cat').textContent())?.split(' ')[0])).toBeGreaterThan(3);
    await page.mouse.up();
    await expect(record).toHaveAttribute('aria-pressed', 'false');
    const catSamples = Number((await count(page, 'cat').textContent())?.split(' ')[0]);
    // Recording stopped with the button: no more samples arrive.
    await page.waitForTimeout(400);
    await expect(count(page, 'cat')).toHaveText(`${catSamples} samples`);

    // The keyboard records too: Space held on the focused button.
    await page.getByRole('button', { name: 'Hold to record bird' }).focus();
    await page.keyboard.down(' ');
    await expect.poll(async () => Number((await count(page, 'bird').textContent())?.split(' ')[0])).toBeGreaterThan(0);
    await page.keyboard.up(' ');
    const birdRecorded = Number((await count(page, 'bird').textContent())?.split(' ')[0]);

    await upload(page, 'bird', ['bird.bmp', 'imprinting_dog_train_0.bmp']);
    await expect(count(page, 'bird')).toHaveText(`${birdRecorded + 2} samples`);
    await expect(page.getByRole('list', { name: 'Samples of bird' }).getByRole('img')).toHaveCount(birdRecorded + 2);

    // Delete one sample and add and remove a third class.
    await page.getByRole('button', { name: `Delete bird sample ${birdRecorded + 2}` }).click();
    await expect(count(page, 'bird')).toHaveText(`${birdRecorded + 1} sample${birdRecorded + 1 === 1 ? '' : 's'}`);
    await page.getByRole('button', { name: '+ Add class' }).click();
    await expect(page.getByLabel('Name of class Class 3')).toBeVisible();
    await page.getByRole('button', { name: 'Delete class Class 3' }).click();
    await expect(page.getByLabel('Name of class Class 3')).toHaveCount(0);

    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/train-desktop.png', fullPage: true });

    // Everything is still there after a reload.
    await page.reload();
    await expect(count(page, 'cat')).toHaveText(`${catSamples} samples`);
    await expect(count(page, 'bird')).toHaveText(`${birdRecorded + 1} sample${birdRecorded + 1 === 1 ? '' : 's'}`);
    await expect(page.getByLabel('Name of class Class 3')).toHaveCount(0);

    // Dataset ZIP: a real download that imports back as a copy with the same classes and samples.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export dataset ZIP' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('my-classifier-dataset.zip');
    const zipPath = await file.path();
    const zip = readFileSync(zipPath);
    expect(zip.subarray(0, 2).toString()).toBe('PK');

    await page.getByLabel('Name of class cat').fill('renamed');
    await page.getByLabel('Name of class cat').press('Enter');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import dataset ZIP…' }).click();
    await (await chooser).setFiles(zipPath);
    await expect(page.getByRole('status')).toContainText(`with ${catSamples + birdRecorded + 1} samples`);
    await expect(count(page, 'cat')).toHaveText(`${catSamples} samples`);

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/train-phone.png', fullPage: true });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
