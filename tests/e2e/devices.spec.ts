import { expect, test } from '@playwright/test';
import { watchPage } from './support/page-watch.ts';

test.describe('devices page without an accelerator', () => {
  test('says none is connected, explains a dismissed chooser, and offers troubleshooting', async ({ page }) => {
    const watch = await watchPage(page);
    // Headless Chromium's USB chooser cannot be driven (no CDP prompt for WebUSB): stand in for a
    // person who opens it, finds no Coral, and closes it — requestDevice rejects with NotFoundError.
    await page.addInitScript(() => {
      const usb = navigator.usb;
      usb.requestDevice = async () => {
        await new Promise((r) => setTimeout(r, 100));
        throw new DOMException('No device selected.', 'NotFoundError');
      };
    });
    await page.goto('/#/devices');
    await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible();
    await expect(page.getByTestId('no-devices')).toHaveText(
      'No accelerator connected. Without one, models run on the CPU.',
    );
    await page.getByRole('button', { name: 'Connect accelerator' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'No Coral was chosen' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Connect accelerator' })).toBeEnabled();

    await page.getByText('Linux: “Access denied” or the device is missing').click();
    await expect(page.getByText('ATTRS{idVendor}=="18d1", ATTRS{idProduct}=="9302"')).toBeVisible();
    await page.getByText('Firmware was loaded but the Coral did not come back').click();
    await expect(page.getByText('needs its own permission')).toBeVisible();
    await page.evaluate(() => scrollTo(0, 0));
    await page.screenshot({ path: 'test-results/screens/devices-desktop.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/devices-phone.png', fullPage: true });

    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
