/**
 * The Live frame path on the fake camera (cat.bmp as MJPEG, tests/e2e/global-setup.ts): the frame
 * budget shows real figures whose parts make up the end-to-end time, and a slow engine drops
 * frames instead of building a backlog.
 */
import { expect, test, type Page } from '@playwright/test';
import { overflowing } from './support/a11y.ts';
import { importFixtures } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

const PARTS = ['capture', 'transfer', 'wait', 'preprocess', 'inference', 'postprocess', 'draw'] as const;

interface Budget {
  fps: number;
  e2e: number;
  p90: number;
  dropped: number;
  sent: number;
  shown: number;
  parts: Record<(typeof PARTS)[number], number>;
}

async function readBudget(page: Page): Promise<Budget> {
  const budget = page.getByTestId('frame-budget');
  const num = async (testId: string, attr = 'data-ms'): Promise<number> =>
    Number(await page.getByTestId(testId).getAttribute(attr));
  const parts = {} as Budget['parts'];
  for (const part of PARTS) parts[part] = await num(`budget-part-${part}`);
  return {
    fps: Number(await page.getByTestId('budget-fps').textContent()),
    e2e: await num('budget-e2e'),
    p90: await num('budget-p90'),
    dropped: await num('budget-dropped', 'data-count'),
    sent: Number(await budget.getAttribute('data-sent-frame')),
    shown: Number(await budget.getAttribute('data-shown-frame')),
    parts,
  };
}

async function startLive(page: Page, model: string): Promise<void> {
  await page.goto('/#/live');
  await page.getByLabel('Model', { exact: true }).selectOption({ label: model });
  await page.getByLabel('Engine').selectOption('wasm');
  await page.getByRole('button', { name: 'Start camera' }).click();
  // Figures only once the model is loaded and frames have been drawn (a slow CI machine takes a while).
  await expect(page.getByTestId('frame-budget')).toBeVisible({ timeout: 90_000 });
}

test.describe('live frame path', () => {
  test('shows the frame budget: FPS, end-to-end and parts that make it up', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await startLive(page, 'mobilenet_v1_0.25_128_quant.tflite');
    await expect(page.getByTestId('top-k')).toContainText('cat');
    // A window of frames, so the medians are over more than the first one.
    await expect.poll(async () => (await readBudget(page)).shown, { timeout: 60_000 }).toBeGreaterThan(15);
    const b = await readBudget(page);
    expect(b.fps).toBeGreaterThan(0);
    expect(b.e2e).toBeGreaterThan(0);
    expect(b.p90).toBeGreaterThanOrEqual(b.e2e);
    expect(b.parts.inference).toBeGreaterThan(0);
    expect(b.parts.preprocess).toBeGreaterThan(0);
    for (const part of PARTS) expect(b.parts[part]).toBeGreaterThanOrEqual(0);
    // Each frame's parts add up to its end-to-end time exactly; medians of parts need not add up
    // to the median of totals, but they stay near it.
    const sum = PARTS.reduce((a, p) => a + b.parts[p], 0);
    expect(sum).toBeGreaterThan(b.e2e * 0.5);
    expect(sum).toBeLessThan(b.e2e * 1.5);
    // The page shows the same FPS in its stats line.
    await expect(page.getByTestId('live-fps')).toHaveText(/^\d+(\.\d)?$/);

    await page.screenshot({ path: 'test-results/screens/live-budget-1280.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/live-budget-390.png', fullPage: true });

    await page.getByRole('button', { name: 'Stop camera' }).click();
    await expect(page.getByTestId('frame-budget')).toHaveCount(0);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });

  test('reads the camera track in the worker as delivered and keeps going far past the camera’s few buffers', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await startLive(page, 'mobilenet_v1_0.25_128_quant.tflite');
    const budget = page.getByTestId('frame-budget');
    // Chromium has MediaStreamTrackProcessor and transfers its stream: the worker reads the track's
    // frames as delivered, neither the page nor the video's refresh in between.
    await expect(budget).toHaveAttribute('data-frame-source', 'worker');
    // A camera frame never closed holds one of the camera's few buffers, and the camera stops after
    // a handful: 150 frames (5 s at 30 fps) and more after them means every frame was let go.
    await expect.poll(async () => (await readBudget(page)).sent, { timeout: 90_000 }).toBeGreaterThan(150);
    const later = (await readBudget(page)).sent + 60;
    await expect.poll(async () => (await readBudget(page)).sent, { timeout: 60_000 }).toBeGreaterThan(later);
    const b = await readBudget(page);
    expect(b.shown).toBeGreaterThan(100);
    // The wait for the display's next refresh is shown beside end to end, not in it.
    await expect(page.getByTestId('budget-paint')).toContainText('then on screen at the next refresh');
    expect(Number(await page.getByTestId('budget-paint').getAttribute('data-to-paint-ms'))).toBeGreaterThanOrEqual(
      b.e2e,
    );
    expect(watch.pageErrors).toEqual([]);
  });

  test('a slow engine drops frames and shows a recent one: no backlog', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['deeplabv3_mnv2_dm05_pascal_quant.tflite']);
    // DeepLab (513×513) on WASM runs far slower than the camera's 30 frames a second.
    await startLive(page, 'deeplabv3_mnv2_dm05_pascal_quant.tflite');
    await expect(page.getByTestId('mask')).toBeVisible();
    await expect.poll(async () => (await readBudget(page)).shown, { timeout: 90_000 }).toBeGreaterThan(5);
    const b = await readBudget(page);
    // Frames came faster than the engine took them, and they were dropped rather than queued.
    expect(b.dropped).toBeGreaterThan(0);
    // When a result was drawn, at most the frames allowed in flight (running, waiting, two on
    // their way) had been read after it: the frame shown is never far behind the camera. (Read in
    // the worker, none are: the camera stream keeps only its newest frame while a run is on.)
    expect(b.sent).toBeGreaterThanOrEqual(b.shown);
    expect(b.sent - b.shown).toBeLessThanOrEqual(4);
    // The frames that were run waited for the engine (the run before them), and that shows.
    expect(b.parts.wait).toBeGreaterThan(0);
    expect(watch.pageErrors).toEqual([]);
  });

  test('switching the model with the camera running: the next frames run the new one, nothing of the old is drawn', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite', 'movenet_single_pose_lightning_ptq.tflite']);
    await startLive(page, 'mobilenet_v1_0.25_128_quant.tflite');
    // The fake camera shows cat.bmp.
    await expect(page.getByTestId('top-k').locator('li').first()).toContainText(/cat/i);
    const skeleton = page.getByRole('img', { name: 'Pose skeleton' });
    await expect(skeleton).toHaveCount(0);

    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'movenet_single_pose_lightning_ptq.tflite' });
    await expect(page.getByLabel('Task')).toHaveValue('pose');
    // The camera never stopped: the frames read in the worker now run MoveNet, and the list of
    // classes of the frames before it is gone.
    await expect(skeleton).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('top-k')).toHaveCount(0);
    const shown = (await readBudget(page)).shown;
    await expect.poll(async () => (await readBudget(page)).shown, { timeout: 30_000 }).toBeGreaterThan(shown + 30);
    await expect(page.getByTestId('top-k')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Stop camera' })).toBeVisible();

    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'mobilenet_v1_0.25_128_quant.tflite' });
    await expect(page.getByTestId('top-k').locator('li').first()).toContainText(/cat/i, { timeout: 60_000 });
    await expect(skeleton).toHaveCount(0);
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
  });
});
