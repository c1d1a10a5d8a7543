import { expect, test, type Page } from '@playwright/test';
import { readFixture } from '../support/fixtures.ts';
import { watchPage } from './support/page-watch.ts';

async function useMirror(page: Page, variant: '' | '-corrupt' | '-slow'): Promise<void> {
  await page.getByText('Download source').click();
  await page.getByLabel(/Base URL of the model files/).fill(new URL(`/__mirror${variant}`, page.url()).toString());
  await page.getByRole('button', { name: 'Save' }).click();
}

test.describe('model library', () => {
  test('downloads a catalog model with progress, keeps it across reloads, deletes it', async ({ page }) => {
    const watch = await watchPage(page);
    await page.goto('/#/models');
    await expect(page.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
    await useMirror(page, '-slow');

    const card = page.locator('[data-entry="mobilenet-v1-0.25-128"]');
    await card.getByRole('button', { name: 'Download MobileNet v1 0.25 (ImageNet)' }).click();
    const bar = card.getByRole('progressbar', { name: 'Downloading MobileNet v1 0.25 (ImageNet)' });
    await expect(bar).toBeVisible();
    await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect(card.getByTestId('cached')).toHaveText('Downloaded, available offline', { timeout: 30_000 });
    await expect(card.locator('[aria-label="cached"]')).toHaveCount(3);

    const stored = page.getByRole('table', { name: 'Stored files' });
    await expect(stored).toContainText('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    await expect(stored).toContainText('imagenet_labels.txt');
    await page.screenshot({ path: 'test-results/screens/models-desktop.png', fullPage: true });

    await page.reload();
    await expect(card.getByTestId('cached')).toBeVisible();
    await card.getByRole('button', { name: 'Delete MobileNet v1 0.25 (ImageNet)' }).click();
    await expect(card.getByRole('button', { name: 'Download MobileNet v1 0.25 (ImageNet)' })).toBeVisible();
    await expect(page.getByText('Nothing stored yet.')).toBeVisible();

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });

  test('rejects a corrupted download and stores nothing', async ({ page }) => {
    await page.goto('/#/models');
    await useMirror(page, '-corrupt');
    const card = page.locator('[data-entry="keras-lstm-mnist"]');
    await card.getByRole('button', { name: /^Download Keras LSTM/ }).click();
    await expect(card.getByRole('alert')).toContainText(
      'is not the published file (its checksum does not match), so it was not kept',
    );
    await expect(card.locator('[aria-label="cached"]')).toHaveCount(0);
    await expect(page.getByText('Nothing stored yet.')).toBeVisible();
  });

  test('imports a model file through the file picker', async ({ page }) => {
    await page.goto('/#/models');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (
      await chooser
    ).setFiles({
      name: 'split_concat.tflite',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(await readFixture('split_concat.tflite')),
    });
    await expect(page.getByRole('status').filter({ hasText: 'Imported split_concat.tflite' })).toBeVisible();
    const stored = page.getByRole('table', { name: 'Stored files' });
    await expect(stored).toContainText('split_concat.tflite');
    await expect(stored).toContainText('1.8 KB');
    await expect(stored).toContainText('Imported');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/models-phone.png', fullPage: true });
  });

  test('refuses files that are neither a model nor labels, with the reason; offers an image to Live', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await page.goto('/#/models');
    const note = Buffer.from('this is a 31 byte text file...\n');
    expect(note.length).toBe(31);
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (
      await chooser
    ).setFiles([
      { name: 'cat.bmp', mimeType: 'image/bmp', buffer: Buffer.from(await readFixture('cat.bmp')) },
      { name: 'notes.tflite', mimeType: 'application/octet-stream', buffer: note },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: note },
      {
        name: 'mobilenet_v1_0.25_128_quant.tflite',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(await readFixture('mobilenet_v1_0.25_128_quant.tflite')),
      },
    ]);
    const refusal = page.getByRole('alert').filter({ hasText: 'Not imported' });
    await expect(refusal).toContainText(
      'Not imported: notes.tflite is not a TFLite model: it does not start like one (it is text, 31 bytes).',
    );
    await expect(refusal).toContainText(
      'Not imported: notes.txt is not a label file: 1 line of text, and labels need one line per class (at least two).',
    );
    // The good file in the same batch is stored all the same, and the message says so.
    await expect(refusal).toContainText('Imported mobilenet_v1_0.25_128_quant.tflite.');
    const stored = page.getByRole('table', { name: 'Stored files' });
    await expect(stored).toContainText('mobilenet_v1_0.25_128_quant.tflite');
    await expect(stored).not.toContainText('notes');
    await expect(stored).not.toContainText('cat.bmp');
    const offer = page.getByRole('status').filter({ hasText: 'cat.bmp is an image, not a model: it was not stored.' });
    await expect(offer).toBeVisible();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: '/tmp/reef-j/models-import-refused-1280.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: '/tmp/reef-j/models-import-refused-390.png', fullPage: true });

    // The image goes to Live, which runs the stored model on it.
    await offer.getByRole('button', { name: 'Run a model on it in Live' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
    await expect(page.getByRole('img', { name: 'cat.bmp' })).toBeVisible();
    await expect(page.getByTestId('top-k').locator('li').first()).toContainText('tiger cat', { timeout: 60_000 });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});
