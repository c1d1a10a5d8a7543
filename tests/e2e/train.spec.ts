import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { pickImage, uploadSamples } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

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
    await expect(record).toBeEnabled();
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

    await uploadSamples(page, 'bird', ['bird.bmp', 'imprinting_dog_train_0.bmp']);
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
    await expect(page.getByRole('status').filter({ hasText: 'Imported “My classifier”' })).toContainText(
      `with ${catSamples + birdRecorded + 1} samples in 2 classes`,
    );
    await expect(count(page, 'cat')).toHaveText(`${catSamples} samples`);

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/train-phone.png', fullPage: true });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });

  test('imprinting preview: 5 samples a class of two different pictures, then the camera is predicted right, with no training step', async ({
    page,
  }) => {
    test.setTimeout(180_000);
    const watch = await watchPage(page);
    await page.addInitScript(() => localStorage.setItem('reef.modelBaseUrl', `${location.origin}/__mirror`));
    await page.goto('/#/train');
    await page.getByRole('button', { name: 'Download the extractor' }).click();
    await expect(page.getByRole('button', { name: 'Train model' })).toBeDisabled({ timeout: 60_000 });
    // The fake camera shows cat.bmp: five copies of it in Class 1, five of bird.bmp in Class 2.
    await uploadSamples(page, 'Class 1', ['cat.bmp', 'cat.bmp', 'cat.bmp', 'cat.bmp', 'cat.bmp']);
    await uploadSamples(page, 'Class 2', ['bird.bmp', 'bird.bmp', 'bird.bmp', 'bird.bmp', 'bird.bmp']);
    await expect(count(page, 'Class 2')).toHaveText('5 samples');
    await page.getByRole('button', { name: 'Start camera' }).click();
    const preview = page.getByTestId('imprint-preview');
    await expect(preview).toContainText('imprinting preview, no training yet', { timeout: 60_000 });
    await expect(preview.locator('strong')).toHaveText('Class 1');
    await expect(preview).toContainText(/ms on wasm · cpu/);
    // No training ran: no curves, no summary.
    await expect(page.getByRole('figure', { name: 'Loss' })).toHaveCount(0);
    await expect(page.getByTestId('training-summary')).toHaveCount(0);
    await page.getByRole('button', { name: 'Stop camera' }).click();
    expect(watch.pageErrors).toEqual([]);
  });

  test('imports a Teachable Machine export ZIP: full-int8 with labels, Edge TPU check, agreement on the samples', async ({
    page,
  }) => {
    test.setTimeout(180_000);
    const watch = await watchPage(page);
    // A TM-shaped export (a model nested in a Sequential; metadata with labels and image size).
    const { buildSmallCnn, saveTfjsModel, tf } = await import('../../src/lib/learn/index.ts');
    const { strToU8, zipSync } = await import('fflate');
    await tf.setBackend('cpu');
    const model = tf.sequential({ layers: [buildSmallCnn({ numClasses: 2, size: 32, blocks: 2, width: 4 })] });
    const files = await saveTfjsModel(model);
    model.dispose();
    const zip = zipSync({
      'my_model/model.json': strToU8(files.modelJson),
      'my_model/weights.bin': files.weights,
      'my_model/metadata.json': strToU8(JSON.stringify({ labels: ['mug', 'plant'], imageSize: 32 })),
    });
    await page.goto('/#/train');
    await uploadSamples(page, 'Class 1', ['cat.bmp', 'bird.bmp', 'grace_hopper.bmp', 'imprinting_dog_train_0.bmp']);
    await expect(count(page, 'Class 1')).toHaveText('4 samples');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import a Teachable Machine model…' }).click();
    await (
      await chooser
    ).setFiles({ name: 'converted_tfjs.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
    const result = page.getByTestId('teachable-result');
    await expect(result).toContainText('2 classes (mug, plant), full-int8 with labels embedded', { timeout: 90_000 });
    await expect(result).toContainText('Edge TPU check: passes');
    await expect(result).toContainText(/Top-1 agreement with the float model on your 4 samples: \d of 4/);
    // Two different files: the Edge TPU model takes pixel bytes (uint8), the CPU model floats.
    const { readModel } = await import('../../src/lib/tflite/index.ts');
    const save = async (name: string) => {
      const download = page.waitForEvent('download');
      await result.getByRole('button', { name }).click();
      const model = readModel(new Uint8Array(readFileSync(await (await download).path())));
      const graph = model.subgraphs[0]!;
      return { labels: model.labels, input: graph.tensors[graph.inputs[0]!]!.dtype };
    };
    expect(await save('Edge-TPU-ready model')).toEqual({ labels: ['mug', 'plant'], input: 'uint8' });
    expect(await save('CPU model')).toEqual({ labels: ['mug', 'plant'], input: 'float32' });
    expect(watch.pageErrors).toEqual([]);
  });

  test('trains a classifier with live curves, keeps it across a reload, exports files that import and run', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const watch = await watchPage(page);
    // Catalog downloads (the embedding extractor) come from the local fixture mirror.
    await page.addInitScript(() => localStorage.setItem('reef.modelBaseUrl', `${location.origin}/__mirror`));
    await page.goto('/#/train');
    await page.getByLabel('Name of class Class 1').fill('cat');
    await page.getByLabel('Name of class Class 1').press('Enter');
    await page.getByLabel('Name of class Class 2').fill('other');
    await page.getByLabel('Name of class Class 2').press('Enter');

    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect(page.getByRole('button', { name: 'Stop camera' })).toBeVisible();
    const record = page.getByRole('button', { name: 'Hold to record cat' });
    await expect(record).toBeEnabled();
    await record.hover();
    await page.mouse.down();
    await expect(record).toHaveAttribute('aria-pressed', 'true');
    await expect
      .poll(async () => Number((await count(page, 'cat').textContent())?.split(' ')[0]), { timeout: 30_000 })
      .toBeGreaterThan(2);
    await page.mouse.up();
    await uploadSamples(page, 'cat', ['cat.bmp', 'imprinting_cat_train_0.bmp', 'imprinting_cat_test_0.bmp']);
    await uploadSamples(page, 'other', [
      'bird.bmp',
      'imprinting_dog_train_0.bmp',
      'imprinting_hotdog_train_0.bmp',
      'grace_hopper.bmp',
    ]);
    await expect(count(page, 'other')).toHaveText('4 samples');
    await page.getByRole('button', { name: 'Stop camera' }).click();

    await page.getByRole('button', { name: 'Download the extractor' }).click();
    const train = page.getByRole('button', { name: 'Train model' });
    await expect(train).toBeEnabled({ timeout: 60_000 });
    await page.getByLabel('Epochs').fill('15');
    await train.click();
    await expect(page.getByRole('status').filter({ hasText: /Embedding samples|Epoch \d+ of 15/ })).toBeVisible();
    await expect(page.getByRole('figure', { name: 'Loss' }).locator('canvas')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByRole('figure', { name: 'Accuracy' }).locator('canvas')).toBeVisible();
    const summary = page.getByTestId('training-summary');
    await expect(summary).toContainText('held out for testing', { timeout: 120_000 });
    // Honest numbers: the matrix counts only the held-out samples, never the ones trained on.
    const heldOut = page.getByTestId('held-out-summary');
    await expect(heldOut).toContainText(/Held-out accuracy \d+%/);
    await expect(heldOut).toContainText(/Training accuracy \d+% \(on the \d+ samples it learned from/);
    const matrix = page.getByRole('table', { name: /Confusion matrix/ });
    await expect(matrix.getByRole('row')).toHaveCount(3);
    const cells = await matrix.locator('tbody td').allTextContents();
    const held = Number((await summary.textContent())?.match(/(\d+) held out for testing/)?.[1]);
    const trained = Number((await summary.textContent())?.match(/Trained on (\d+) samples/)?.[1]);
    expect(held).toBeGreaterThanOrEqual(2);
    expect(cells.map(Number).reduce((a, b) => a + b, 0)).toBe(held);
    expect(held + trained).toBe(Number((await count(page, 'cat').textContent())?.split(' ')[0]) + 4);
    const perClass = page.getByRole('table', { name: /Precision and recall per class/ });
    await expect(perClass.getByRole('row')).toHaveCount(3);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/train-trained-desktop.png', fullPage: true });

    await page.reload();
    await expect(page.getByTestId('training-summary')).toHaveText((await summary.textContent()) ?? '');
    await expect(page.getByRole('table', { name: /Confusion matrix/ }).locator('tbody td')).toHaveText(cells);
    await expect(page.getByRole('figure', { name: 'Loss' }).locator('canvas')).toBeVisible();

    const save = async (button: string) => {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: button, exact: true }).click();
      const file = await download;
      return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()), path: await file.path() };
    };
    const cpu = await save('CPU model');
    expect(cpu.name).toBe('my-classifier.tflite');
    expect(cpu.bytes.subarray(4, 8).toString()).toBe('TFL3');
    const tpu = await save('Edge TPU model');
    expect(tpu.name).toBe('my-classifier_edgetpu.tflite');
    expect(tpu.bytes.includes(Buffer.from('edgetpu-custom-op'))).toBe(true);
    const labels = await save('Labels');
    expect(labels.bytes.toString().trim().split(/\r?\n/)).toEqual(['cat', 'other']);
    const tfjsFiles: { name: string; path: string }[] = [];
    const collect = async (d: import('@playwright/test').Download) =>
      tfjsFiles.push({ name: d.suggestedFilename(), path: await d.path() });
    page.on('download', collect);
    await page.getByRole('button', { name: 'tfjs model', exact: true }).click();
    await expect.poll(() => tfjsFiles.length).toBe(2);
    page.off('download', collect);
    const jsonFile = tfjsFiles.find((f) => f.name.endsWith('.json'))!;
    const weightsFile = tfjsFiles.find((f) => f.name.endsWith('.weights.bin'))!;
    expect(jsonFile.name).toBe('my-classifier-tfjs.json');
    const json = JSON.parse(readFileSync(jsonFile.path, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    expect(json.weightsManifest[0]?.paths).toEqual([weightsFile.name]);
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/train-trained-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // The exported CPU model, imported like any file, runs on the Live page with its own labels.
    await page.goto('/#/models');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (
      await chooser
    ).setFiles({ name: 'imported-classifier.tflite', mimeType: 'application/octet-stream', buffer: cpu.bytes });
    await expect(page.getByRole('status').filter({ hasText: 'Imported imported-classifier.tflite' })).toBeVisible();
    await page.goto('/#/live');
    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'imported-classifier.tflite' });
    await page.getByLabel('Engine').selectOption('wasm');
    await pickImage(page, 'Pick an image…', 'cat.bmp');
    await expect(page.getByTestId('top-k').locator('li').first()).toContainText('cat');
    await pickImage(page, 'Pick an image…', 'bird.bmp');
    await expect(page.getByTestId('top-k').locator('li').first()).toContainText('other');

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
