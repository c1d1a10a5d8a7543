/**
 * Every page in every main state (empty, loaded, error) at a phone and a desktop width: nothing
 * overflows sideways (the document or any card), every control has a name, the console stays clean.
 * Screenshots of each go to test-results/layout/ (LAYOUT_SHOTS overrides the folder) to be looked at.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import { unlabelledControls } from './support/a11y.ts';
import { watchPage, type PageWatch } from './support/page-watch.ts';

const PAGES = ['start', 'devices', 'models', 'live', 'train', 'benchmark', 'system'] as const;
const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
] as const;
const SHOTS = process.env['LAYOUT_SHOTS'] ?? 'test-results/layout';

/** What sticks out sideways: the document itself, and any card whose content is wider than it. */
function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) {
      // Name the culprits: wide elements not inside a scroller of their own (the phone nav row).
      const inScroller = (el: HTMLElement): boolean => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
          if (getComputedStyle(p).overflowX !== 'visible') return true;
        return false;
      };
      const wide = [...document.querySelectorAll<HTMLElement>('main *, header *')]
        .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1 && !inScroller(el))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
      out.push(`document ${doc.scrollWidth} > ${doc.clientWidth}: ${wide.slice(-3).join(', ')}`);
    }
    for (const card of document.querySelectorAll<HTMLElement>('.card')) {
      if (card.scrollWidth > card.clientWidth + 1)
        out.push(`card ${card.scrollWidth} > ${card.clientWidth}: “${(card.textContent ?? '').trim().slice(0, 50)}”`);
    }
    return out;
  });
}

/**
 * Nav links whose label is cut off (narrower than their text), and a nav row that scrolls without
 * showing it (its cut edge fades: the more-left / more-right classes).
 */
function clippedNavLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const nav = document.querySelector<HTMLElement>('nav[aria-label="Main"]');
    if (!nav) return ['no main nav'];
    const out = [...nav.querySelectorAll<HTMLElement>('a')]
      .filter((a) => a.scrollWidth > a.clientWidth + 1)
      .map((a) => a.textContent ?? '');
    const hidden = nav.scrollWidth > nav.clientWidth + 1;
    const signalled = nav.classList.contains('more-left') || nav.classList.contains('more-right');
    if (hidden !== signalled) out.push(`nav scrolls: ${hidden}, shown by a faded edge: ${signalled}`);
    return out;
  });
}

async function checkEveryPage(page: Page, watch: PageWatch, state: string, after?: (id: string) => Promise<void>) {
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const id of PAGES) {
      await page.goto(`/#/${id}`);
      await expect(page.locator('main h1')).toBeVisible();
      await page.waitForLoadState('networkidle');
      await after?.(id);
      const where = `${state} ${id} at ${size.width}px`;
      expect.soft(await sidewaysOverflow(page), `${where}: sideways overflow`).toEqual([]);
      expect.soft(await unlabelledControls(page), `${where}: controls without a name`).toEqual([]);
      expect.soft(await clippedNavLabels(page), `${where}: clipped nav labels`).toEqual([]);
      await page.screenshot({ path: `${SHOTS}/${state}-${id}-${size.name}.png`, fullPage: true });
    }
  }
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
}

async function chooseFiles(page: Page, button: string, files: { name: string; buffer: Buffer; mimeType: string }[]) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button }).click();
  await (await chooser).setFiles(files);
}

const fixture = async (name: FixtureName, as: string = name) => ({
  name: as,
  mimeType: name.endsWith('.bmp') ? 'image/bmp' : 'application/octet-stream',
  buffer: Buffer.from(await readFixture(name)),
});

test.describe('layout', () => {
  test('empty: a first visit, nothing stored', async ({ page }) => {
    const watch = await watchPage(page);
    await checkEveryPage(page, watch, 'empty');
  });

  test('loaded: models with long names, labels and a dataset with samples', async ({ page }) => {
    const watch = await watchPage(page);
    await page.goto('/#/models');
    const long = 'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite';
    await chooseFiles(page, 'Choose files', [
      await fixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'),
      await fixture('mobilenet_v1_0.25_128_quant.tflite'),
      await fixture('imagenet_labels.txt'),
      await fixture(long),
    ]);
    const stored = page.getByRole('table', { name: 'Stored files' });
    await expect(stored).toContainText(long);
    await expect(stored).toContainText('imagenet_labels.txt');

    await page.goto('/#/train');
    for (const [cls, images] of [
      ['Class 1', ['cat.bmp', 'imprinting_cat_train_0.bmp']],
      ['Class 2', ['bird.bmp', 'imprinting_dog_train_0.bmp']],
    ] as const) {
      await chooseFiles(page, `Upload images to ${cls}`, await Promise.all(images.map((n) => fixture(n))));
      await expect(page.locator(`[data-class="${cls}"]`).getByTestId('sample-count')).toContainText('2');
    }
    // Benchmark with results: its table has to fit a phone too.
    // Deleting what a person made asks first, beside the button; "Keep" keeps it.
    const firstClass = page.locator('[data-class="Class 1"]');
    await firstClass.getByRole('button', { name: 'Delete class Class 1' }).click();
    const ask = firstClass.getByRole('group', { name: 'Delete Class 1 and its 2 samples?' });
    await expect(ask).toBeVisible();
    await ask.getByRole('button', { name: 'Keep' }).click();
    await expect(firstClass.getByTestId('sample-count')).toContainText('2');

    await checkEveryPage(page, watch, 'loaded', async (id) => {
      if (id !== 'benchmark') return;
      const results = page.getByRole('table', { name: 'Latency by model and engine' });
      if (await results.isVisible()) return;
      await page.getByLabel('Iterations').fill('3');
      await page.getByRole('button', { name: 'Run benchmark' }).click();
      await expect(results.getByTestId('median')).toHaveCount(1, { timeout: 60_000 });
    });

    await page.goto('/#/models');
    await page.getByRole('button', { name: 'Delete imagenet_labels.txt' }).click();
    await page
      .getByRole('group', { name: 'Delete imagenet_labels.txt?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await expect(stored).not.toContainText('imagenet_labels.txt');
    await expect(stored).toContainText(long);
  });

  test('error: a refused import, shown beside the control, fits the phone', async ({ page }) => {
    const watch = await watchPage(page);
    await page.goto('/#/models');
    const refused = 'notes_from_the_workshop_about_the_model_we_meant_to_compile_2026_12_03.tflite';
    await chooseFiles(page, 'Choose files', [
      { name: refused, mimeType: 'application/octet-stream', buffer: Buffer.from('not a model, just a note.\n') },
    ]);
    const alert = page.getByRole('alert').filter({ hasText: refused });
    await expect(alert).toBeVisible();
    // A person reads this: plain words, not the flatbuffer's file identifier.
    await expect(alert).not.toContainText('TFL3');
    // It appears beside the import control, not somewhere down the page.
    const drop = page.getByRole('button', { name: 'Choose files' });
    const gap = (await alert.boundingBox())!.y - (await drop.boundingBox())!.y;
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThan(300);

    // A download that fails its pinned sha256: the error sits in its card.
    await page.getByText('Download source').click();
    await page.getByLabel(/Base URL of the model files/).fill(new URL('/__mirror-corrupt', page.url()).toString());
    await page.getByRole('button', { name: 'Save' }).click();
    const card = page.locator('[data-entry="keras-lstm-mnist"]');
    await card.getByRole('button', { name: /^Download Keras LSTM/ }).click();
    await expect(card.getByRole('alert')).toBeVisible();

    for (const size of WIDTHS) {
      await page.setViewportSize({ width: size.width, height: size.height });
      expect.soft(await sidewaysOverflow(page), `error models at ${size.width}px`).toEqual([]);
      expect.soft(await unlabelledControls(page), `error models at ${size.width}px: no name`).toEqual([]);
      await alert.scrollIntoViewIfNeeded();
      await expect(alert).toBeInViewport();
      await page.screenshot({ path: `${SHOTS}/error-models-${size.name}.png`, fullPage: true });
    }
    // The same entry stored another way: its old download error goes with it.
    await chooseFiles(page, 'Use a file for Keras LSTM digits (MNIST)', [
      await fixture('keras_lstm_mnist_ptq_edgetpu.tflite'),
      await fixture('keras_lstm_mnist_ptq.tflite'),
    ]);
    await expect(card.getByTestId('cached')).toBeVisible();
    await expect(card.getByRole('alert')).toHaveCount(0);

    // Console errors are expected of nothing here: a refused file is a message, not a crash.
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});
