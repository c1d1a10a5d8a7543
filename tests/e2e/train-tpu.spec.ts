/**
 * The Train page with a (virtual) Coral, through the UI of the virtual-coral TEST build: connect
 * and flash → Train embeds with the compiled extractor on `edgetpu · usb:0` (the page says so, with
 * embeddings/s) → train; unplugged mid-embedding → every sample is embedded on WASM instead, a
 * notice says so, and the run completes on one kind of embedding. The virtual Coral is a test
 * double (its outputs come from the CPU twin): no figure here is a hardware result.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FixtureName } from '../support/fixtures.ts';
import { pickImage, uploadSamples } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral } from './support/virtual-build.ts';
import { connectCoral, coralState, installFirmware, mirrorModels, virtualUsb } from './support/virtual-coral-ui.ts';

const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_TRAIN_PORT'] ?? 4186));

const CATS: FixtureName[] = ['cat.bmp', 'imprinting_cat_train_0.bmp', 'imprinting_cat_test_0.bmp'];
const OTHERS: FixtureName[] = [
  'bird.bmp',
  'imprinting_dog_train_0.bmp',
  'imprinting_hotdog_train_0.bmp',
  'grace_hopper.bmp',
];

/** Devices page: connect the virtual Coral and flash it from the firmware fixture. */
async function connect(page: Page): Promise<void> {
  await mirrorModels(page, coral.origin);
  await installFirmware(page, await connectCoral(page, coral.origin), 'file');
}

/** Train page (same document, so the worker keeps its Coral): samples in, extractor downloaded. */
async function prepareDataset(page: Page, copies: number): Promise<void> {
  await page.evaluate(() => (location.hash = '#/train'));
  for (let i = 0; i < copies; i++) {
    await uploadSamples(page, 'Class 1', CATS, (name, i) => `${i}-${name}`);
    await uploadSamples(page, 'Class 2', OTHERS, (name, i) => `${i}-${name}`);
  }
  await expect(page.getByText(`${OTHERS.length * copies} samples`)).toBeVisible();
  const download = page.getByRole('button', { name: 'Download the extractor' });
  if (await download.isVisible()) await download.click();
  await expect(page.getByRole('button', { name: 'Train model' })).toBeEnabled({ timeout: 90_000 });
  await page.getByLabel('Epochs').fill('5');
}

test('connect → Train embeds on edgetpu · usb:0 and says so, with embeddings/s, then trains', async ({ page }) => {
  test.setTimeout(300_000);
  const watch = await watchPage(page);
  await connect(page);
  await prepareDataset(page, 1);
  const statuses = await recordStatuses(page);
  await page.getByRole('button', { name: 'Train model' }).click();
  const engine = page.getByTestId('embedding-engine');
  await expect(engine).toContainText(/Embedded on edgetpu · usb:0 at \d+(\.\d)? embeddings\/s/, { timeout: 180_000 });
  await expect(page.getByTestId('embedding-notice')).toHaveCount(0);
  // The progress said where the samples were embedding, however briefly it showed.
  const seen = await statuses();
  expect(
    seen.some((text) => /Embedding samples on edgetpu · usb:0: [1-9]\d* of 7/.test(text)),
    seen.join('\n'),
  ).toBe(true);
  expect(seen.some((text) => text.includes('Embedding samples on wasm'))).toBe(false);
  await expect(page.getByTestId('held-out-summary')).toContainText('Held-out accuracy');

  // Try it: the composed Edge TPU model runs on the Coral, with its latency.
  await page.getByRole('link', { name: 'Try it live' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
  await pickImage(page, 'Pick an image…', 'cat.bmp');
  // The extractor on the TPU, the head after it on the CPU: one composed model, two engines.
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'edgetpu+litert-wasm · usb:0+cpu', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('live-latency')).toHaveText(/^\d+\.\d ms$/);
  await expect(page.getByTestId('top-k').locator('li').first()).toContainText('Class 1');
  await expect(page.getByTestId('live-fallback')).toHaveCount(0);
  expect(watch.pageErrors).toEqual([]);
});

test('unplugged mid-embedding: every sample is embedded on WASM, a notice says so, and the run completes', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const watch = await watchPage(page);
  await connect(page);
  await prepareDataset(page, 3);
  // The imprinting preview embeds every sample on the stick too: let it finish, so the requests
  // counted below are the training run's own.
  await expect(page.getByTestId('imprint-preview')).toContainText('21 samples embedded on edgetpu · usb:0', {
    timeout: 60_000,
  });
  const statuses = await recordStatuses(page);
  // Pulled out during the 6th request to the stick: a few samples are embedded on it first, however
  // fast it goes (an unplug sent when the page showed progress could land after the last sample).
  await virtualUsb(page, 'unplugAtRequest', 0, 6);
  await page.getByRole('button', { name: 'Train model' }).click();
  await expect(page.getByTestId('embedding-notice')).toContainText(
    'usb:0 went away while embedding, so every sample was embedded on WASM',
    { timeout: 180_000 },
  );
  await expect(page.getByTestId('embedding-engine')).toContainText('Embedded on wasm · cpu');
  await expect(page.getByTestId('training-summary')).toContainText('held out for testing');
  expect((await coralState(page)).corals[0]!.personality).toBe('unplugged');
  // What the person saw, in order: progress on the stick, then every sample again on WASM.
  const seen = await statuses();
  const onTpu = seen.findIndex((text) => /Embedding samples on edgetpu · usb:0: [1-9]\d* of 21/.test(text));
  const onWasm = seen.findIndex((text) => /Embedding samples on wasm · cpu: \d+ of 21/.test(text));
  expect(onTpu, seen.join('\n')).toBeGreaterThanOrEqual(0);
  expect(onWasm, seen.join('\n')).toBeGreaterThan(onTpu);
  expect(seen.some((text) => text.includes('Embedding samples on wasm · cpu: 21 of 21'))).toBe(true);
  expect(watch.pageErrors).toEqual([]);
});

/**
 * Every text a status region shows from now on, as it changes: progress that is on screen for a few
 * milliseconds is still seen, which polling for it cannot promise.
 */
async function recordStatuses(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    const note = () => {
      for (const el of document.querySelectorAll('[role="status"]')) {
        const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (text && seen.at(-1) !== text && !seen.includes(text)) seen.push(text);
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => [...(window as unknown as { __statuses: string[] }).__statuses]);
}
