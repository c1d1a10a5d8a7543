/**
 * The Live frame path on the virtual Coral of the TEST build: camera frames run on usb:0 with the
 * frame budget shown, and pulling the stick out mid-stream moves the model to WASM once, with the
 * notice, while the camera keeps going. Verified against the virtual Coral, not a hardware result.
 */
import { expect, test } from '@playwright/test';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral } from './support/virtual-build.ts';
import { virtualUsb, readyCoralWithMobileNet } from './support/virtual-coral-ui.ts';

const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_LIVE_PORT'] ?? 4184));

test('camera frames on usb:0 with the frame budget; unplugged mid-stream, the camera goes on on WASM', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const watch = await watchPage(page);
  await readyCoralWithMobileNet(page, coral.origin);

  await page.goto(`${coral.origin}/#/live`);
  await page.getByLabel('Model', { exact: true }).selectOption({ label: 'MobileNet v1 0.25 (ImageNet)' });
  await page.getByLabel('Engine').selectOption('usb:0');
  await page.getByRole('button', { name: 'Start camera' }).click();
  const budget = page.getByTestId('frame-budget');
  await expect(budget).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'edgetpu · usb:0');
  await expect(page.getByTestId('top-k')).toContainText('cat');
  expect(Number(await page.getByTestId('budget-part-inference').getAttribute('data-ms'))).toBeGreaterThan(0);

  // Pull the stick out while frames flow: one fallback, said once, and results keep coming on WASM.
  await virtualUsb(page, 'unplug', 0);
  await expect(page.getByTestId('live-fallback')).toHaveText('usb:0 is not available (unplugged); running on WASM', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('live-engine-used')).toHaveAttribute('data-engine', 'litert-wasm (cpu twin) · cpu');
  const shown = Number(await budget.getAttribute('data-shown-frame'));
  await expect.poll(async () => Number(await budget.getAttribute('data-shown-frame'))).toBeGreaterThan(shown + 5);
  await expect(page.getByTestId('top-k')).toContainText('cat');
  await expect(page.getByTestId('live-error')).toHaveCount(0);
  expect(watch.pageErrors).toEqual([]);
});
