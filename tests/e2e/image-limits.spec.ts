/**
 * The page's image path reads the header before the browser decodes: a 20000×20000 PNG picked on
 * the Live page is refused with the limit in the message, and the previous image's result is gone.
 */
import { expect, test } from '@playwright/test';
import { pngClaiming } from '../unit/tasks/image-generators.ts';
import { importFixtures, pickImage } from './support/library.ts';

test('Live: an image above 40 megapixels is refused before decoding, and no result stays on screen', async ({
  page,
}) => {
  await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
  await page.getByLabel('Engine').selectOption('wasm');
  await pickImage(page, 'Pick an image…', 'cat.bmp');
  const topK = page.getByTestId('top-k');
  await expect(topK.locator('li').first()).toContainText('tiger cat', { timeout: 60_000 });

  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Pick an image…' }).click();
  await (
    await chooser
  ).setFiles({ name: 'big.png', mimeType: 'image/png', buffer: Buffer.from(pngClaiming(20000, 20000)) });
  await expect(page.getByTestId('live-error')).toHaveText(
    'big.png: 20000×20000 is 400,000,000 pixels; Reef decodes images of up to 40,000,000 pixels (40 megapixels)',
  );
  await expect(topK.locator('li')).toHaveCount(0);
  await expect(page.getByRole('img', { name: 'cat.bmp' })).toHaveCount(0);
});
