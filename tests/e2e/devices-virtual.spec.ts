/**
 * The Edge TPU as a person uses it, through the UI only, against the virtual Coral of the TEST
 * build: connect → install firmware with progress → run a model on the TPU from the Live page →
 * unplug → the page says so and runs on WASM. Only plugging and unplugging go through the test
 * handle (window.__reefVirtualUsb), as a hand on the stick would. No figure here is a hardware result.
 */
import { expect, test } from '@playwright/test';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { pickImage } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral } from './support/virtual-build.ts';
import {
  connectCoral,
  downloadCatalogModel,
  installFirmware,
  mirrorModels,
  virtualUsb,
} from './support/virtual-coral-ui.ts';

const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_UI_PORT'] ?? 4181));

test('connect, install firmware, run on the Edge TPU from Live, unplug and fall back to WASM', async ({ page }) => {
  test.setTimeout(180_000);
  const watch = await watchPage(page);
  await mirrorModels(page, coral.origin);

  const card = await connectCoral(page, coral.origin);
  await expect(card).toContainText('Bootloader (needs firmware)');
  expect(await unlabelledControls(page)).toEqual([]);
  await page.screenshot({ path: 'test-results/screens/devices-dfu-desktop.png', fullPage: true });

  await installFirmware(page, card, 'download');
  await expect(card).toContainText('Ready');
  await expect(card).toContainText('Ready (firmware loaded)');
  await expect(card).toContainText('USB 3 SuperSpeed');
  await page.screenshot({ path: 'test-results/screens/devices-ready-desktop.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => overflowing(page)).toEqual([]);
  await page.screenshot({ path: 'test-results/screens/devices-ready-phone.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The model and its CPU twin from the (mirrored) catalog, as on the Models page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
  const entry = page.locator('[data-entry="mobilenet-v1-0.25-128"]');
  await entry.getByRole('button', { name: 'Download MobileNet v1 0.25 (ImageNet)' }).click();
  await expect(entry.getByTestId('cached')).toBeVisible({ timeout: 60_000 });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
  await page.getByLabel('Model', { exact: true }).selectOption({ label: 'MobileNet v1 0.25 (ImageNet)' });
  await page.getByLabel('Engine').selectOption('usb:0');
  await pickImage(page, 'Pick an image…', 'cat.bmp');
  const topK = page.getByTestId('top-k');
  await expect(topK.locator('li').first()).toContainText('tiger cat', { timeout: 60_000 });
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'edgetpu · usb:0');
  await expect(page.getByTestId('live-fallback')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screens/live-tpu-desktop.png', fullPage: true });

  // Benchmark both engines: a row each and their median ratio (the emulator's timing is a test
  // double's, so only the presence of the comparison is checked, never its value).
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Benchmark' }).click();
  await expect(page.getByRole('checkbox', { name: 'Edge TPU usb:0' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'CPU (WebAssembly)' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'MobileNet v1 0.25 (ImageNet)' })).toBeChecked();
  await page.getByLabel('Iterations').fill('10');
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  await expect(page.getByText('20 of 20 runs')).toBeVisible({ timeout: 60_000 });
  const results = page.getByRole('table', { name: 'Latency by model and engine' });
  await expect(results.locator('tbody tr')).toHaveCount(2);
  await expect(results).toContainText('Coral usb:0');
  await expect(results).toContainText('CPU (WebAssembly)');
  await expect(page.getByTestId('speedup')).toHaveText(
    /^\d+\.\d× (faster|slower) on Edge TPU usb:0 than WASM \(median\) · MobileNet v1 0\.25 \(ImageNet\)$/,
  );
  await page.screenshot({ path: 'test-results/screens/benchmark-tpu-desktop.png', fullPage: true });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Live' })).toBeVisible();
  // The Live page kept its choices; run on the TPU once more.
  await expect(page.getByLabel('Engine')).toHaveValue('usb:0');
  await pickImage(page, 'Pick an image…', 'cat.bmp');
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'edgetpu · usb:0');

  // Pull the stick out: the next run says the TPU is gone and runs the CPU twin on WASM.
  await virtualUsb(page, 'unplug', 0);
  await pickImage(page, 'Pick an image…', 'cat.bmp');
  await expect(page.getByTestId('live-fallback')).toHaveText('usb:0 is not available (unplugged); running on WASM');
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'litert-wasm (cpu twin) · cpu');
  await expect(topK.locator('li').first()).toContainText('tiger cat');
  await expect(page.getByLabel('Engine').locator('option')).toHaveText([
    'Automatic (Coral, else the fastest here)',
    'Edge TPU usb:0 (unplugged)',
    'CPU (WebAssembly)',
  ]);
  await page.screenshot({ path: 'test-results/screens/live-unplugged-desktop.png', fullPage: true });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  await expect(page.getByTestId('no-devices')).toBeVisible();

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});

test('kiosk: flashes a replugged Coral by itself and moves between the TPU and WASM with no clicks', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const watch = await watchPage(page);
  await mirrorModels(page, coral.origin);
  await downloadCatalogModel(page, coral.origin, 'mobilenet-v1-0.25-128', 'MobileNet v1 0.25 (ImageNet)');

  await page.goto(`${coral.origin}/?kiosk&model=mobilenet-v1-0.25-128&task=classify`);
  // Chromium remembers a granted Coral across loads; the emulator's bus lives in the worker and
  // starts afresh, so the booth's earlier grant is given again here (the shim answers the chooser).
  await page.evaluate(() => navigator.usb.requestDevice({ filters: [{ vendorId: 0x1a6e }, { vendorId: 0x18d1 }] }));
  const engine = page.getByTestId('kiosk-engine');
  await expect(engine).toHaveAttribute('data-engine', 'edgetpu · usb:0', { timeout: 60_000 });
  await expect(engine).toHaveText('Coral usb:0');
  await expect(page.getByTestId('top-k')).toContainText('Egyptian cat');
  await page.screenshot({ path: 'test-results/screens/kiosk-tpu-desktop.png' });

  await virtualUsb(page, 'unplug', 0);
  await expect(engine).toHaveAttribute('data-engine', 'litert-wasm (cpu twin) · cpu');
  await expect(engine).toHaveText('CPU (WebAssembly)');
  await expect(page.getByTestId('kiosk-fallback')).toContainText('running on WASM');
  await expect(page.getByTestId('top-k')).toContainText('Egyptian cat');

  // Back in: bootloader again, firmware by itself, and the model returns to the TPU.
  await virtualUsb(page, 'replug', 0);
  await expect(engine).toHaveAttribute('data-engine', 'edgetpu · usb:0', { timeout: 60_000 });
  await expect(engine).toHaveText('Coral usb:0');
  await expect(page.getByTestId('kiosk-fallback')).toHaveCount(0);

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});

test('the start page follows the Coral: plugged in, pulled out, plugged in again', async ({ page }) => {
  test.setTimeout(120_000);
  const watch = await watchPage(page);
  await connectCoral(page, coral.origin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Start' }).click();
  const way = page.locator('[data-way="coral"]');
  await expect(way).toContainText('Your Coral is connected and needs its firmware');
  await expect(way.getByRole('link', { name: 'Install the firmware' })).toBeVisible();

  // A hand on the stick while the page stays open: no reload, no click.
  await virtualUsb(page, 'unplug', 0);
  await expect(way.getByRole('link', { name: 'Connect my Coral' })).toBeVisible();
  await expect(way).not.toContainText('needs its firmware');
  await virtualUsb(page, 'replug', 0);
  await expect(way).toContainText('Your Coral is connected and needs its firmware');

  expect(watch.consoleErrors).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
});
