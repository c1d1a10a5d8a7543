/**
 * A model compiled in segments, as a person uses it, on the virtual-Coral TEST build: the SSD
 * MobileNet v2 COCO two-segment set from the catalog runs pipelined on two virtual Corals from Live
 * (boxes drawn), Benchmark (each segment's TPU shown) and Kiosk, and on WASM it is refused with the
 * reason and no result. No CPU version of the segments exists, so the virtual Coral's outputs are
 * synthetic (deterministic in the input bytes): the boxes the page draws are checked against the
 * same two segments run here in Node on the same emulator code, through the same detect task.
 * A test double: no figure here is a hardware result.
 */
import { expect, test, type Page } from '@playwright/test';
import { decodeImageFile } from '../../src/cli/image-file.ts';
import { encodeBmp, parseLabels, type RgbaImage } from '../../src/lib/tasks/index.ts';
import { CATALOG } from '../../src/lib/zoo/index.ts';
import { coralFarm } from '../emulator/multi.ts';
import { readFixture, readFixtureText, type FixtureName } from '../support/fixtures.ts';
import { segmentSetDetections } from '../support/segment-detections.ts';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral } from './support/virtual-build.ts';
import {
  connectCoral,
  downloadCatalogModel,
  installFirmware,
  mirrorModels,
  virtualUsb,
} from './support/virtual-coral-ui.ts';

const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_SEGMENTS_PORT'] ?? 4191));

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';
const ENTRY = CATALOG.find((e) => e.id === 'ssd-mobilenet-v2-coco-pipeline')!;
const REFUSAL = 'compiled in segments: no CPU twin of segments';

interface Drawn {
  label: string;
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
}

/**
 * The picture: a 300×300 crop of cat.bmp, the model's own input size, so no resize stands between
 * the pixels and the tensor (whichever resize the worker uses, the input bytes are these pixels).
 */
let picture: { image: RgbaImage; bmp: Buffer };
/** What the page must draw for the picture (threshold 0.4, COCO labels), in 0..1 of the picture. */
let expected: Drawn[];

function crop(image: RgbaImage, left: number, top: number, size: number): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * image.width + left) * 4;
    data.set(image.data.subarray(from, from + size * 4), y * size * 4);
  }
  return { width: size, height: size, data };
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const cat = decodeImageFile(await readFixture('cat.bmp'), 'cat.bmp');
  const image = crop(cat, 100, 20, 300);
  picture = { image, bmp: Buffer.from(encodeBmp(image)) };
  const parsed = parseLabels(await readFixtureText('coco_labels.txt'));
  // As the worker's readLabels: a list by class id, gaps named `class N`.
  const size = Math.max(...parsed.keys()) + 1;
  const labels = new Map(Array.from({ length: size }, (_, i) => [i, parsed.get(i) ?? `class ${i}`]));

  const farm = await coralFarm(1, [SEG0, SEG1]);
  const [objects] = await segmentSetDetections(farm, [SEG0, SEG1], [image], { device: 'usb:0', labels });
  expected = objects!.map((o) => ({
    label: o.label,
    box: { xmin: o.box.xmin / 300, ymin: o.box.ymin / 300, xmax: o.box.xmax / 300, ymax: o.box.ymax / 300 },
  }));
  expect(expected.length).toBeGreaterThan(0);
});

async function pickPicture(page: Page): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Pick an image…' }).click();
  await (await chooser).setFiles({ name: 'cat_300.bmp', mimeType: 'image/bmp', buffer: picture.bmp });
}

/** The boxes the page draws (rect attributes) with the label of each. */
async function drawnBoxes(page: Page): Promise<Drawn[]> {
  const rects = await page
    .locator('svg[aria-label="Detected objects"] rect')
    .evaluateAll((els) => els.map((el) => ['x', 'y', 'width', 'height'].map((a) => Number(el.getAttribute(a)))));
  const labels = await page.getByTestId('detections').locator('li').allTextContents();
  return rects.map(([x, y, w, h], i) => ({
    // "dog 87%" → "dog": the score is checked through the box order (detect sorts by score).
    label: labels[i]!.trim().replace(/\s+\d+%$/, ''),
    box: { xmin: x!, ymin: y!, xmax: x! + w!, ymax: y! + h! },
  }));
}

function expectSameBoxes(drawn: Drawn[], want: Drawn[]): void {
  expect(drawn.map((d) => d.label)).toEqual(want.map((d) => d.label));
  drawn.forEach((d, i) => {
    for (const side of ['xmin', 'ymin', 'xmax', 'ymax'] as const)
      expect(d.box[side]).toBeCloseTo(want[i]!.box[side], 5);
  });
}

/**
 * What Live ended with for the picked picture: the engine · device of its result, or its error
 * (so a failure reads as the page's own message, not as a missing attribute).
 */
async function liveOutcome(page: Page): Promise<string> {
  const used = page.getByTestId('live-engine-used');
  const error = page.getByTestId('live-error');
  await expect(used.and(page.locator(':not([data-engine=""])')).or(error)).toBeVisible({ timeout: 90_000 });
  return (await error.count()) > 0
    ? `error: ${await error.textContent()}`
    : ((await used.getAttribute('data-engine')) ?? '');
}

async function openLive(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
  // Live has listed the models and restored the last visit's choices: choosing now is not undone.
  await expect(page.getByLabel('Model', { exact: true })).toHaveValue(/^catalog:/);
  await page.getByLabel('Model', { exact: true }).selectOption({ label: ENTRY.title });
}

test('the two-segment SSD runs pipelined on two virtual Corals from Live and Benchmark, and in Kiosk', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const origin = coral.origin;
  const watch = await watchPage(page);
  await mirrorModels(page, origin);

  // Two sticks, each flashed, as a person with two Corals would.
  await installFirmware(page, await connectCoral(page, origin), 'download');
  await virtualUsb(page, 'addCoral');
  await page.getByRole('button', { name: 'Connect accelerator' }).click();
  const card1 = page.locator('[data-device="usb:1"]');
  await expect(card1).toContainText('Needs firmware');
  await installFirmware(page, card1, 'download');
  await downloadCatalogModel(page, origin, ENTRY.id, ENTRY.title);

  await openLive(page);
  await expect(page.getByLabel('Engine')).toHaveValue('auto');
  await pickPicture(page);
  const used = page.getByTestId('live-engine-used');
  expect(await liveOutcome(page)).toBe('edgetpu-pipeline · usb:0,usb:1');
  await expect(used).toHaveText('Coral usb:0 + usb:1');
  await expect(page.locator('svg[aria-label="Detected objects"] rect')).toHaveCount(expected.length);
  expectSameBoxes(await drawnBoxes(page), expected);
  await page.screenshot({ path: 'test-results/screens/live-segments-desktop.png', fullPage: true });

  // Each stick holds its own segment and ran it once for the picture (the worker's device list, as
  // the Devices page reads it while the model is loaded).
  const devices = await page.evaluate(() =>
    (
      window as unknown as {
        __reefVirtualUsb: { api: { devices(): Promise<{ id: string; models: string[]; inferences: number }[]> } };
      }
    ).__reefVirtualUsb.api.devices(),
  );
  expect(devices.map((d) => [d.id, d.models, d.inferences])).toEqual([
    ['usb:0', [SEG0], 1],
    ['usb:1', [SEG1], 1],
  ]);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  await expect(page.locator('[data-device="usb:0"]').getByTestId('inferences')).toHaveText('1');
  await expect(page.locator('[data-device="usb:1"]').getByTestId('inferences')).toHaveText('1');

  // On WASM the page says why and draws nothing.
  await openLive(page);
  await page.getByLabel('Engine').selectOption('wasm');
  await pickPicture(page);
  await expect(page.getByTestId('live-error')).toContainText(REFUSAL, { timeout: 60_000 });
  await expect(page.locator('svg[aria-label="Detected objects"] rect')).toHaveCount(0);
  await expect(used).toHaveAttribute('data-engine', '');
  await page.getByLabel('Engine').selectOption('auto');

  // Benchmark: pipelined under Automatic, in turn on one chosen TPU; each row says where each segment ran.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Benchmark' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Benchmark' })).toBeVisible();
  // The page is ready once it has found the sticks and checked them by default; then choose afresh.
  await expect(page.getByRole('checkbox', { name: 'Edge TPU usb:1' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: ENTRY.title })).toBeVisible();
  for (const box of await page.getByRole('checkbox').all()) if (await box.isChecked()) await box.uncheck();
  await page.getByRole('checkbox', { name: ENTRY.title }).check();
  await page.getByRole('checkbox', { name: 'Automatic (the ladder’s pick)' }).check();
  await page.getByRole('checkbox', { name: 'Edge TPU usb:1' }).check();
  await page.getByRole('checkbox', { name: 'CPU (WebAssembly)' }).check();
  await page.getByLabel('Iterations').fill('5');
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  // WASM is not run (its 5 runs leave the total) and says why; the two TPU choices are.
  await expect(page.getByText(/^\d+ of \d+ runs$/).or(page.getByRole('alert'))).toHaveText('10 of 10 runs', {
    timeout: 120_000,
  });
  await expect(page.getByTestId('benchmark-not-run')).toHaveText(
    `Not run: ${ENTRY.title}: CPU (WebAssembly) cannot run this model: ${REFUSAL}. Run it on a Coral.`,
  );
  const rows = page.getByRole('table', { name: 'Latency by model and engine' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('Coral usb:0 + usb:1');
  await expect(rows.nth(0).getByTestId('segment-placement')).toHaveText(`segment 0 → usb:0 · segment 1 → usb:1`);
  await expect(rows.nth(1).getByTestId('segment-placement')).toHaveText(`segment 0 → usb:1 · segment 1 → usb:1`);
  await page.screenshot({ path: 'test-results/screens/benchmark-segments-desktop.png', fullPage: true });

  // The kiosk link of the entry: the camera's frames through both sticks, boxes drawn, no clicks.
  await page.goto(`${origin}/?kiosk&model=${ENTRY.id}&task=detect`);
  await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', 'edgetpu-pipeline · usb:0,usb:1', {
    timeout: 90_000,
  });
  await expect(page.getByTestId('kiosk-engine')).toHaveText('Coral usb:0 + usb:1');
  // The camera's frames give the virtual Coral other (synthetic) outputs: boxes are drawn, any boxes.
  await expect.poll(() => page.locator('svg[aria-label="Detected objects"] rect').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('detections').locator('li').first()).toBeVisible();

  // Benchmark follows plug and unplug while open: the unplugged stick is no longer offered.
  await page.goto(`${origin}/#/benchmark`);
  const second = page.getByRole('checkbox', { name: 'Edge TPU usb:1' });
  await expect(second).toBeChecked();
  await virtualUsb(page, 'unplug', 1);
  await expect(second).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: 'Edge TPU usb:0' })).toBeChecked();

  expect(watch.pageErrors).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});

test('on WASM the segment set is refused with the reason, and no result is shown', async ({ page }) => {
  test.setTimeout(180_000);
  const origin = coral.origin;
  const watch = await watchPage(page);
  await mirrorModels(page, origin);
  await downloadCatalogModel(page, origin, ENTRY.id, ENTRY.title);
  await openLive(page);
  await page.getByLabel('Engine').selectOption('wasm');
  await pickPicture(page);
  const alert = page.getByTestId('live-error');
  await expect(alert).toContainText(`CPU (WebAssembly) cannot run this model: ${REFUSAL}`, { timeout: 60_000 });
  await expect(page.locator('svg[aria-label="Detected objects"] rect')).toHaveCount(0);
  await expect(page.getByTestId('detections').locator('li')).toHaveCount(0);
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', '');

  // Automatic with no Coral: the same reason, still no result.
  await page.getByLabel('Engine').selectOption('auto');
  await pickPicture(page);
  await expect(alert).toContainText(REFUSAL);
  await expect(page.locator('svg[aria-label="Detected objects"] rect')).toHaveCount(0);

  // The kiosk link of the entry says the same on a machine without a Coral.
  await page.goto(`${origin}/?kiosk&model=${ENTRY.id}&task=detect`);
  await expect(page.getByTestId('kiosk-status')).toContainText(REFUSAL, { timeout: 60_000 });
  await expect(page.locator('svg[aria-label="Detected objects"] rect')).toHaveCount(0);
  expect(watch.pageErrors).toEqual([]);
});
