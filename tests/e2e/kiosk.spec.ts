import { expect, test } from '@playwright/test';
import { watchPage } from './support/page-watch.ts';

test.describe('kiosk', () => {
  test('started by URL: no navigation chrome, and says plainly when the model is missing', async ({ page }) => {
    const watch = await watchPage(page);
    await page.goto('/?kiosk&model=not-a-model&task=classify');
    await expect(page.getByRole('main', { name: 'Reef kiosk' })).toBeVisible();
    await expect(page.getByRole('navigation')).toHaveCount(0);
    const status = page.getByTestId('kiosk-status');
    await expect(status).toContainText('No model “not-a-model” on this device.');
    await expect(status).toContainText('download or import the model on the Models page');
    await page.screenshot({ path: 'test-results/screens/kiosk-missing-desktop.png' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/screens/kiosk-missing-phone.png' });
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
