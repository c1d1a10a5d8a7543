import { expect, test } from '@playwright/test';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { importFixtures, pickImage } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

test.describe('live page', () => {
  test('classifies the fake camera and an uploaded image on WASM', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
    await expect(page.getByLabel('Model', { exact: true })).toHaveValue(/^file:/);
    await expect(page.getByLabel('Task')).toHaveValue('classify');
    await page.getByLabel('Engine').selectOption('wasm');

    // The fake camera plays cat.bmp (tests/e2e/global-setup.ts).
    await page.getByRole('button', { name: 'Start camera' }).click();
    const topK = page.getByTestId('top-k');
    // The camera frame is cat.bmp letterboxed into 640×480 and JPEG-encoded: the two cat classes
    // MobileNet 0.25 hesitates between lead (cat.bmp itself says tiger cat, below).
    await expect(topK.locator('li')).toHaveCount(3, { timeout: 60_000 });
    await expect(topK).toContainText('Egyptian cat');
    await expect(topK).toContainText('tiger cat');
    await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', /cpu/);
    await expect(page.getByTestId('live-engine-used')).toHaveText('CPU (WebAssembly)');
    await expect(page.getByTestId('live-latency')).toHaveText(/^\d+(\.\d)? ms$/);
    await expect(page.getByTestId('live-fps')).toHaveText(/^\d+(\.\d)?$/);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/live-camera-desktop.png', fullPage: true });
    await page.getByRole('button', { name: 'Stop camera' }).click();

    // An image file instead of the camera.
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    await expect(page.getByRole('img', { name: 'cat.bmp' })).toBeVisible();
    await expect(topK.locator('li').first()).toContainText('tiger cat');
    await pickImage(page, 'Pick an image…', 'bird.bmp');
    await expect(topK.locator('li').first()).toContainText('chickadee');

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/live-image-phone.png', fullPage: true });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});

test.describe('live with an imported compiled model', () => {
  test('finds its CPU twin among the stored files and runs it on WASM, with one clear message', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant_edgetpu.tflite', 'mobilenet_v1_0.25_128_quant.tflite']);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
    await page
      .getByLabel('Model', { exact: true })
      .selectOption({ label: 'mobilenet_v1_0.25_128_quant_edgetpu.tflite' });
    // No Coral in this build: Automatic runs the twin, and the page says which file and why, once.
    const twin = page.getByTestId('live-twin');
    await expect(twin).toHaveText(
      'No Coral connected: runs its CPU twin mobilenet_v1_0.25_128_quant.tflite in WebAssembly (paired by file name).',
    );
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    const topK = page.getByTestId('top-k');
    await expect(topK.locator('li').first()).toContainText('tiger cat', { timeout: 60_000 });
    await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', /cpu/);
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(twin).toBeVisible();
    // The worker's own fallback notice would say the same thing a second time.
    await expect(page.getByTestId('live-fallback')).toHaveCount(0);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: '/tmp/reef-j/live-twin-1280.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: '/tmp/reef-j/live-twin-390.png', fullPage: true });

    await page.getByLabel('Engine').selectOption('wasm');
    await expect(twin).toHaveText(
      'Runs its CPU twin mobilenet_v1_0.25_128_quant.tflite in WebAssembly (paired by file name).',
    );
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });

  test('pairs by inputs and outputs when the names do not match; without a twin, one message and no result', async ({
    page,
  }) => {
    await importFixtures(page, [
      'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
      'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
      'mobilenet_v1_0.25_128_quant.tflite',
    ]);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
    const model = page.getByLabel('Model', { exact: true });
    await model.selectOption({
      label: 'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
    });
    await expect(page.getByTestId('live-twin')).toHaveText(
      'No Coral connected: runs its CPU twin mobilenet_v1_0.25_128_quant.tflite in WebAssembly (paired by matching inputs and outputs).',
    );
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    await expect(page.getByTestId('top-k').locator('li').first()).toContainText('tiger cat', { timeout: 60_000 });

    // The 160×160 model has no CPU file with its inputs: one message, and the old result goes.
    await model.selectOption({
      label: 'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
    });
    await expect(page.getByTestId('live-twin')).toHaveCount(0);
    await expect(page.getByRole('alert')).toHaveText([
      'No Edge TPU is connected and this model has no CPU version: connect a Coral or import the CPU twin.',
    ]);
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    await expect(page.getByRole('img', { name: 'cat.bmp' })).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(1);
    await expect(page.getByTestId('top-k')).toHaveCount(0);
    await page.screenshot({ path: '/tmp/reef-j/live-no-twin-1280.png', fullPage: true });
  });
});

test.describe('live overlays', () => {
  test('draws a segmentation mask and a pose skeleton from real models on uploaded images', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, [
      'deeplabv3_mnv2_dm05_pascal_quant.tflite',
      'pascal_voc_segmentation_labels.txt',
      'movenet_single_pose_lightning_ptq.tflite',
    ]);
    await page.goto('/#/live');
    await page.getByLabel('Engine').selectOption('wasm');

    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'deeplabv3_mnv2_dm05_pascal_quant.tflite' });
    await expect(page.getByLabel('Task')).toHaveValue('segment');
    await page.getByLabel('Labels').selectOption({ label: 'pascal_voc_segmentation_labels.txt' });
    await pickImage(page, 'Pick an image…', 'bird_segmentation.bmp');
    const mask = page.getByTestId('mask');
    await expect(mask).toBeVisible({ timeout: 60_000 });
    // The bird covers a real part of the picture: painted (non-background) pixels in the mask.
    const painted = await mask.evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n / (canvas.width * canvas.height);
    });
    expect(painted).toBeGreaterThan(0.05);
    expect(painted).toBeLessThan(0.9);
    await expect(page.getByTestId('segment-classes').locator('li').first()).toContainText('bird');
    await page.screenshot({ path: 'test-results/screens/live-segment-desktop.png', fullPage: true });

    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'movenet_single_pose_lightning_ptq.tflite' });
    await expect(page.getByLabel('Task')).toHaveValue('pose');
    await pickImage(page, 'Pick an image…', 'squat.bmp');
    const skeleton = page.getByRole('img', { name: 'Pose skeleton' });
    await expect(skeleton).toBeVisible({ timeout: 60_000 });
    // A person squatting facing the camera: most of the 17 keypoints are confident.
    await expect.poll(() => skeleton.locator('circle').count()).toBeGreaterThanOrEqual(12);
    expect(await skeleton.locator('line').count()).toBeGreaterThanOrEqual(10);
    await page.screenshot({ path: 'test-results/screens/live-pose-desktop.png', fullPage: true });

    // Detection: the fish SSD (TFLite_Detection_PostProcess runs as a Reef kernel) draws labelled boxes.
    // Its activations are quantized with scale 1 (a dummy-range conversion), so what it finds is not
    // meaningful; this checks the overlay: one box per label, labels from the label file.
    await importFixtures(page, ['fish_ssd_detect.tflite', 'fish_ssd_labels.txt']);
    await page.goto('/#/live');
    await page.getByLabel('Engine').selectOption('wasm');
    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'fish_ssd_detect.tflite' });
    await page.getByLabel('Task').selectOption('detect');
    await page.getByLabel('Labels').selectOption({ label: 'fish_ssd_labels.txt' });
    await pickImage(page, 'Pick an image…', 'bird.bmp');
    const boxes = page.getByRole('img', { name: 'Detected objects' });
    await expect(boxes).toBeVisible({ timeout: 60_000 });
    const labels = page.getByTestId('detections').locator('li');
    await expect.poll(() => labels.count()).toBeGreaterThan(0);
    expect(await boxes.locator('rect').count()).toBe(await labels.count());
    for (const text of await labels.allTextContents()) expect(text).toMatch(/^\s*(ClownFish|roses)\s+\d+%\s*$/);
    await page.screenshot({ path: 'test-results/screens/live-detect-desktop.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/live-pose-phone.png', fullPage: true });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
