import { expect, test } from '@playwright/test';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { importFixtures } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

test.describe('model inspector', () => {
  test('shows the facts of an imported compiled model and of its CPU twin', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant_edgetpu.tflite', 'mobilenet_v1_0.25_128_quant.tflite']);

    await page.getByRole('button', { name: 'Inspect mobilenet_v1_0.25_128_quant_edgetpu.tflite' }).click();
    const inspector = page.getByTestId('inspector');
    await expect(inspector).toContainText('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    // One Edge TPU segment holding the single custom op (MODELS.md).
    await expect(inspector.getByRole('img', { name: '1 Edge TPU segment(s), 0 CPU segment(s)' })).toBeVisible();
    await expect(inspector.getByTestId('segments')).toHaveText('Edge TPU: edgetpu-custom-op');
    const input = inspector.getByTestId('input');
    await expect(input).toHaveCount(1);
    await expect(input).toContainText('uint8');
    await expect(input).toContainText('1×128×128×3');
    await expect(input).toContainText('scale 0.0078125, zero point 128');
    await expect(inspector.getByTestId('output')).toContainText('1×1001');
    await expect(inspector.getByTestId('runtime-version')).toHaveText('version 12 or later');
    // 566,912 parameter bytes in the caching executable: fits the 8 MiB cache.
    await expect(inspector.getByTestId('parameter-cache')).toContainText('553.6 KB of 8.0 MB — fits on the chip');
    await expect(inspector.getByTestId('label-count')).toHaveText('1001 in the file');
    expect(await unlabelledControls(page)).toEqual([]);
    await inspector.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/screens/inspector-desktop.png', fullPage: true });
    await inspector.screenshot({ path: 'test-results/screens/inspector-card-desktop.png' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/inspector-phone.png', fullPage: true });
    await inspector.screenshot({ path: 'test-results/screens/inspector-card-phone.png' });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });

    // The CPU twin: all on the CPU, not compiled.
    await page.getByRole('button', { name: 'Inspect mobilenet_v1_0.25_128_quant.tflite' }).click();
    await expect(inspector).toContainText('Not compiled for the Edge TPU');
    await expect(inspector.getByRole('img', { name: '0 Edge TPU segment(s), 1 CPU segment(s)' })).toBeVisible();
    await expect(inspector.getByTestId('segments')).toContainText('CONV_2D ×15');
    await inspector.getByRole('button', { name: 'Close the inspector' }).click();
    await expect(inspector).toHaveCount(0);

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
