/**
 * The Train and Models pages against hostile files and failures: dataset ZIP bombs refused in the
 * worker while the page stays responsive, import cancel, storage full while recording, a training
 * worker killed mid-run, and a model import too big for the limit or for the storage left.
 */
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import { overflowing } from './support/a11y.ts';
import { largeHonestZip, manyClassesZip, manySamplesZip, overlapBombZip } from './support/hostile-zips.ts';
import { uploadSamples } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

const SCREENS = 'test-results/screens';

const count = (page: Page, className: string) =>
  page.locator(`[data-class="${className}"]`).getByTestId('sample-count');

async function chooseZip(page: Page, name: string, zip: Uint8Array): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import dataset ZIP…' }).click();
  await (await chooser).setFiles({ name, mimeType: 'application/zip', buffer: Buffer.from(zip) });
}

/** Starts measuring the longest gap between animation frames on the page's main thread. */
async function startFrameProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = { longestMs: 0, last: performance.now(), running: true };
    (globalThis as unknown as { __frameProbe: typeof probe }).__frameProbe = probe;
    const tick = (now: number): void => {
      probe.longestMs = Math.max(probe.longestMs, now - probe.last);
      probe.last = now;
      if (probe.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function stopFrameProbe(page: Page): Promise<number> {
  return page.evaluate(() => {
    const probe = (globalThis as unknown as { __frameProbe: { longestMs: number; running: boolean } }).__frameProbe;
    probe.running = false;
    return probe.longestMs;
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENS}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => overflowing(page)).toEqual([]);
  await page.screenshot({ path: `${SCREENS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test.describe('hostile dataset ZIPs', () => {
  test('ZIP bombs (honest and lying sizes), 100,000 samples on one image and 50,000 classes are refused quickly, beside the import control, while the page stays responsive', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await page.goto('/#/train');
    await expect(count(page, 'Class 1')).toHaveText('0 samples');
    const cases: [string, Uint8Array][] = [
      ['bomb.zip', overlapBombZip()],
      ['bomb-lying.zip', overlapBombZip(1024)],
      ['many-samples.zip', manySamplesZip()],
      // Small enough a manifest to be read: refused for naming one image 20,000 times.
      ['shared-image.zip', manySamplesZip(20_000)],
      ['many-classes.zip', manyClassesZip()],
    ];
    for (const [name, zip] of cases) {
      await startFrameProbe(page);
      const started = Date.now();
      await chooseZip(page, name, zip);
      // While the worker reads the ZIP, the page answers: a frame comes, a button responds.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
      const refusal = page.getByRole('alert').filter({ hasText: `${name} was not imported: ` });
      await expect(refusal).toBeVisible({ timeout: 15_000 });
      const seconds = (Date.now() - started) / 1000;
      const longestFrameMs = await stopFrameProbe(page);
      const text = (await refusal.textContent())!.trim();
      console.log(
        `${name} (${zip.length} bytes): refused in ${seconds.toFixed(1)} s, longest frame gap ${Math.round(longestFrameMs)} ms: ${text}`,
      );
      // A readable reason, not a stack or an empty alert.
      expect(text.length).toBeGreaterThan(`${name} was not imported: `.length + 10);
      expect(text).not.toMatch(/\bat \S+:\d+|undefined|RangeError|\[object/);
      // Refused by the import's limits, not by the worker dying of it.
      expect(text).not.toContain('stopped responding');
      // The page never froze: the old main-thread unzip stalled it for minutes on these files.
      expect(longestFrameMs).toBeLessThan(2_000);
      // Beside the import control, and the import control is back.
      await expect(page.getByRole('button', { name: 'Import dataset ZIP…' })).toBeEnabled();
    }
    // Nothing of them was stored: the page still shows the dataset it had.
    await expect(page.locator('[data-class]')).toHaveCount(2);
    await expect(count(page, 'Class 1')).toHaveText('0 samples');
    await shoot(page, 'train-import-refused');
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });

  test('a long import shows its progress and can be cancelled, storing nothing; the next import works', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await page.goto('/#/train');
    await expect(count(page, 'Class 1')).toHaveText('0 samples');
    await chooseZip(page, 'big.zip', largeHonestZip(3000));
    const progress = page.getByRole('status', { name: 'Dataset import' });
    await expect(progress).toContainText(/Unpacking: \d+ of \d+ entries|Checking images: \d+ of 3000/);
    await expect(
      page
        .getByRole('button', { name: 'Train model' })
        .or(page.getByRole('button', { name: 'Download the extractor' })),
    ).toBeVisible();
    await page.screenshot({ path: `${SCREENS}/train-import-progress-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SCREENS}/train-import-progress-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Cancel import' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'Import of big.zip cancelled: nothing was stored.' }),
    ).toBeVisible();
    await expect(progress).toHaveCount(0);
    await expect(page.locator('[data-class]')).toHaveCount(2);
    await expect(count(page, 'Class 1')).toHaveText('0 samples');

    await chooseZip(page, 'small.zip', largeHonestZip(6));
    await expect(
      page.getByRole('status').filter({ hasText: 'Imported “hostile” with 6 samples in 2 classes.' }),
    ).toBeVisible();
    await expect(count(page, 'class 0')).toHaveText('3 samples');
    await expect(page.getByRole('list', { name: 'Samples of class 0' }).getByRole('img')).toHaveCount(3);
    // A sample opened on its own is an image document, never a page running in Reef's origin.
    const src = await page
      .getByRole('list', { name: 'Samples of class 0' })
      .getByRole('img')
      .first()
      .getAttribute('src');
    expect(src).toMatch(/^blob:/);
    const opened = await page.context().newPage();
    await opened.goto(src!);
    expect(await opened.evaluate(() => document.contentType)).toBe('image/bmp');
    await opened.close();
    // HTML named like an image is refused at upload, not stored.
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload images to class 0' }).click();
    await (
      await chooser
    ).setFiles({
      name: 'evil.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<!doctype html><script>alert(1)</script>'),
    });
    await expect(
      page.getByRole('alert').filter({ hasText: 'Not an image this browser can read: evil.png' }),
    ).toBeVisible();
    await expect(count(page, 'class 0')).toHaveText('3 samples');
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});

test.describe('failures while training', () => {
  test('storage full while recording: the alert says what happened and what to do, and recording stops', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    // Chromium's real quota error: a DOMException named QuotaExceededError with an empty message.
    await page.addInitScript(() => {
      const add = IDBObjectStore.prototype.add;
      IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
        if (this.name === 'samples' && (globalThis as unknown as { __storageFull?: boolean }).__storageFull)
          throw new DOMException('', 'QuotaExceededError');
        return add.apply(this, args);
      };
    });
    await page.goto('/#/train');
    await expect(page.getByTestId('storage-persistence')).toBeVisible();
    await page.getByRole('button', { name: 'Start camera' }).click();
    const record = page.getByRole('button', { name: 'Hold to record Class 1' });
    await expect(record).toBeEnabled();
    await record.hover();
    await page.mouse.down();
    await expect
      .poll(async () => Number((await count(page, 'Class 1').textContent())?.split(' ')[0]))
      .toBeGreaterThan(1);
    await page.evaluate(() => ((globalThis as unknown as { __storageFull: boolean }).__storageFull = true));
    const alert = page.getByRole('alert').filter({ hasText: 'Storage is full' });
    await expect(alert).toBeVisible();
    await expect(alert).toContainText('Free some space');
    await expect(alert).toContainText('export the dataset ZIP');
    // Recording stopped by itself, though the button is still held.
    await expect(record).toHaveAttribute('aria-pressed', 'false');
    const kept = await count(page, 'Class 1').textContent();
    await page.waitForTimeout(500);
    await expect(count(page, 'Class 1')).toHaveText(kept!);
    await page.mouse.up();
    await page.getByRole('button', { name: 'Stop camera' }).click();
    await shoot(page, 'train-storage-full');
    // The System page says how much is stored and whether the browser keeps it.
    await page.goto('/#/system');
    await expect(page.getByTestId('storage')).toHaveText(
      /^\d+(\.\d)? [KMG]?B used of \d+\.\d [MG]B; (not )?persistent/,
    );
    expect(watch.pageErrors).toEqual([]);
  });

  test('a training worker killed mid-run is reported, and Retry trains on a fresh worker', async ({ page }) => {
    test.setTimeout(300_000);
    const watch = await watchPage(page);
    // The test finds the page's workers by wrapping the constructor (nothing in the app exposes them).
    await page.addInitScript(() => {
      const Native = Worker;
      const workers: { name: string | undefined; worker: Worker }[] = [];
      (globalThis as unknown as { __testWorkers: typeof workers }).__testWorkers = workers;
      globalThis.Worker = class extends Native {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          workers.push({ name: options?.name, worker: this });
        }
      };
      localStorage.setItem('reef.modelBaseUrl', `${location.origin}/__mirror`);
    });
    await page.goto('/#/train');
    await uploadSamples(page, 'Class 1', ['cat.bmp', 'imprinting_cat_train_0.bmp', 'imprinting_cat_test_0.bmp']);
    await uploadSamples(page, 'Class 2', ['bird.bmp', 'imprinting_dog_train_0.bmp', 'grace_hopper.bmp']);
    await expect(count(page, 'Class 2')).toHaveText('3 samples');
    await page.getByRole('button', { name: 'Download the extractor' }).click();
    const train = page.getByRole('button', { name: 'Train model' });
    await expect(train).toBeEnabled({ timeout: 60_000 });
    await page.getByLabel('Epochs').fill('10');
    // Terminated as soon as the page starts it, mid-call: the page used to wait forever at
    // "Embedding samples: 0 of 0". (Training these 6 samples takes well under a second.)
    const kill = page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const all = (globalThis as unknown as { __testWorkers: { name?: string; worker: Worker }[] }).__testWorkers;
          const tick = (): void => {
            const training = all.filter((w) => w.name === 'reef-training');
            if (training.length === 0) return void setTimeout(tick, 5);
            for (const w of training) w.worker.terminate();
            resolve(training.length);
          };
          tick();
        }),
    );
    await train.click();
    const killed = await kill;
    expect(killed).toBe(1);
    const alert = page
      .getByRole('alert')
      .filter({ hasText: 'Training stopped: The training worker stopped responding' });
    await expect(alert).toBeVisible({ timeout: 40_000 });
    await expect(alert).toContainText('Your dataset is safe');
    await expect(
      page.getByRole('status').filter({ hasText: /Reading the samples|Embedding samples|Epoch/ }),
    ).toHaveCount(0);
    // No result of the failed run is shown.
    await expect(page.getByRole('figure', { name: 'Loss' })).toHaveCount(0);
    await expect(page.getByTestId('training-summary')).toHaveCount(0);
    await shoot(page, 'train-worker-gone');

    await page.getByRole('button', { name: 'Retry training' }).click();
    await expect(page.getByTestId('training-summary')).toContainText('Trained on 4 samples, 2 held out', {
      timeout: 150_000,
    });
    await expect(alert).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Retry training' })).toHaveCount(0);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});

test.describe('model import limits', () => {
  test('a 300 MB file and a file bigger than the storage left are refused before they are read', async ({ page }) => {
    const watch = await watchPage(page);
    await page.addInitScript(() => {
      const estimate = StorageManager.prototype.estimate;
      StorageManager.prototype.estimate = function (this: StorageManager) {
        const room = (globalThis as unknown as { __storageRoom?: number }).__storageRoom;
        return room === undefined
          ? estimate.call(this)
          : Promise.resolve({ usage: 1_000_000, quota: 1_000_000 + room });
      };
    });
    await page.goto('/#/models');
    const dir = mkdtempSync(join(tmpdir(), 'reef-big-'));
    try {
      // A sparse 300 MB file: nothing is written to disk, and nothing should be read either.
      const big = join(dir, 'huge_edgetpu.tflite');
      const fd = openSync(big, 'w');
      ftruncateSync(fd, 300 * 1024 * 1024);
      closeSync(fd);
      const started = Date.now();
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Choose files' }).click();
      await (await chooser).setFiles(big);
      await expect(
        page.getByRole('alert').filter({
          hasText: 'huge_edgetpu.tflite is 300.0 MB: Reef imports files up to 128.0 MB.',
        }),
      ).toBeVisible();
      console.log(`300 MB model refused in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    await page.evaluate(() => ((globalThis as unknown as { __storageRoom: number }).__storageRoom = 2 * 1024 * 1024));
    const name: FixtureName = 'fish_ssd_detect_edgetpu.tflite';
    const bytes = Buffer.from(await readFixture(name));
    const pick = async () => {
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Choose files' }).click();
      await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
    };
    await pick();
    await expect(page.getByRole('alert').filter({ hasText: `Not enough storage: ${name} needs` })).toContainText(
      'the browser lets Reef store only 2.0 MB more',
    );
    await expect(page.getByRole('table', { name: 'Stored files' })).toHaveCount(0);
    await shoot(page, 'models-import-refused');
    // A catalog download is refused up front too: its size is known before the first byte.
    await page.getByRole('button', { name: 'Download MobileNet v1 1.0 embedding extractor' }).click();
    await expect(
      page
        .getByRole('alert')
        .filter({ hasText: 'Not enough storage: MobileNet v1 1.0 embedding extractor needs 6.4 MB' }),
    ).toBeVisible();

    await page.evaluate(() => delete (globalThis as unknown as { __storageRoom?: number }).__storageRoom);
    await pick();
    await expect(page.getByRole('status').filter({ hasText: `Imported ${name}` })).toBeVisible();
    expect(watch.pageErrors).toEqual([]);
  });
});
