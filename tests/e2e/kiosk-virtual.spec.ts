/**
 * The booth flow on the virtual Coral of the TEST build: a person connects the stick and installs
 * its firmware once on Devices, downloads the model, then the kiosk URL runs it on the Edge TPU with
 * no clicks, and keeps doing so across a page reload (the stick stays powered, in app mode, and the
 * origin keeps its USB grant). Verified against the virtual Coral, not a hardware result.
 */
import { expect, test } from '@playwright/test';
import { watchPage } from './support/page-watch.ts';
import { startVirtualBuild, type VirtualBuild } from './support/virtual-build.ts';

const PORT = Number(process.env['E2E_VIRTUAL_KIOSK_PORT'] ?? 4185);
let build: VirtualBuild | undefined;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  build = await startVirtualBuild('.cache/dist-virtual-kiosk', PORT);
});

test.afterAll(() => build?.stop());

test('kiosk on the Edge TPU survives a reload: the virtual Coral stays in app mode, no firmware again', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const origin = build!.origin;
  const watch = await watchPage(page);
  await page.addInitScript((o) => localStorage.setItem('reef.modelBaseUrl', `${o}/__mirror`), origin);

  await page.goto(`${origin}/#/devices`);
  await page.getByRole('button', { name: 'Connect accelerator' }).click();
  const card = page.locator('[data-device="usb:0"]');
  await card.getByRole('button', { name: 'Install firmware' }).click();
  await expect(card.getByRole('status')).toHaveText('Firmware installed.', { timeout: 60_000 });

  await page.goto(`${origin}/#/models`);
  const entry = page.locator('[data-entry="mobilenet-v1-0.25-128"]');
  await entry.getByRole('button', { name: 'Download MobileNet v1 0.25 (ImageNet)' }).click();
  await expect(entry.getByTestId('cached')).toBeVisible({ timeout: 60_000 });

  await page.goto(`${origin}/?kiosk&model=mobilenet-v1-0.25-128&task=classify`);
  const topK = page.getByTestId('top-k');
  await expect(topK).toContainText('cat', { timeout: 60_000 });
  await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', /usb:0/, { timeout: 30_000 });
  await page.screenshot({ path: '/tmp/reef-i/kiosk-tpu-desktop.png' });

  await page.reload();
  await expect(topK).toContainText('cat', { timeout: 60_000 });
  await expect(page.getByTestId('kiosk-engine')).toHaveAttribute('data-engine', /usb:0/, { timeout: 30_000 });
  // Still the stick in app mode: it came back (one enumeration in this page) in its app
  // personality, so it was neither in its bootloader nor flashed again (that would be two).
  const state = (await page.evaluate(() =>
    (window as unknown as { __reefVirtualUsb: { state(): Promise<unknown> } }).__reefVirtualUsb.state(),
  )) as { corals: { enumerations: number; personality: string; granted: boolean }[] };
  expect(state.corals).toHaveLength(1);
  expect(state.corals[0]?.personality).toBe('app');
  expect(state.corals[0]?.granted).toBe(true);
  expect(state.corals[0]?.enumerations).toBe(1);
  await expect(page.getByTestId('kiosk-fallback')).toHaveCount(0);
  expect(watch.pageErrors).toEqual([]);
});
