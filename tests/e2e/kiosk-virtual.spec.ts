/**
 * The booth flow on the virtual Coral of the TEST build: a person connects the stick and installs
 * its firmware once on Devices, downloads the model, then the kiosk URL runs it on the Edge TPU with
 * no clicks, and keeps doing so across a page reload (the stick stays powered, in app mode, and the
 * origin keeps its USB grant). Verified against the virtual Coral, not a hardware result.
 */
import { expect, test } from '@playwright/test';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral } from './support/virtual-build.ts';
import { coralState, readyCoralWithMobileNet } from './support/virtual-coral-ui.ts';

const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_KIOSK_PORT'] ?? 4185));

test('kiosk on the Edge TPU survives a reload: the virtual Coral stays in app mode, no firmware again', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const watch = await watchPage(page);
  await readyCoralWithMobileNet(page, coral.origin);

  await page.goto(`${coral.origin}/?kiosk&model=mobilenet-v1-0.25-128&task=classify`);
  const topK = page.getByTestId('top-k');
  await expect(topK).toContainText('cat', { timeout: 60_000 });
  await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', /usb:0/, { timeout: 30_000 });
  await page.screenshot({ path: '/tmp/reef-i/kiosk-tpu-desktop.png' });

  await page.reload();
  // A slow machine may need the kiosk's own retry after a reload; should it still fail, say what the
  // kiosk showed and what the bus held, so a failure in CI explains itself.
  await expect(topK)
    .toContainText('cat', { timeout: 120_000 })
    .catch(async (error: unknown) => {
      const shown = await page
        .locator('[data-testid="kiosk-status"], [role="status"]')
        .allTextContents()
        .catch(() => []);
      const bus = await coralState(page).catch((e: unknown) => String(e));
      throw new Error(
        `${String(error)}\nkiosk showed: ${JSON.stringify(shown)}\nbus: ${JSON.stringify(bus)}\nconsole errors: ${JSON.stringify(watch.consoleErrors)}`,
      );
    });
  await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', /usb:0/, { timeout: 30_000 });
  // Still the stick in app mode: it came back (one enumeration in this page) in its app
  // personality, so it was neither in its bootloader nor flashed again (that would be two).
  const state = await coralState(page);
  expect(state.corals).toHaveLength(1);
  expect(state.corals[0]?.personality).toBe('app');
  expect(state.corals[0]?.granted).toBe(true);
  expect(state.corals[0]?.enumerations).toBe(1);
  await expect(page.getByTestId('kiosk-fallback')).toHaveCount(0);
  expect(watch.pageErrors).toEqual([]);
});
