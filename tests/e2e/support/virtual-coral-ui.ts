/**
 * What the virtual-Coral specs do again and again, as a person would (pages and buttons) or as a hand
 * on the stick would (window.__reefVirtualUsb of the test build, see virtual-usb-page.ts). Serve the
 * build with useVirtualCoral (virtual-build.ts) first.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

export interface CoralState {
  mode: string;
  corals: {
    personality: string;
    firmware: string | null;
    enumerations: number;
    granted: boolean;
    violations: string[];
  }[];
}

/** Catalog downloads come from the spec server's fixture mirror (no internet in tests). */
export async function mirrorModels(page: Page, origin: string): Promise<void> {
  await page.addInitScript((o) => localStorage.setItem('reef.modelBaseUrl', `${o}/__mirror`), origin);
}

/** A hand on the bus: `unplug`, `replug`, `addCoral`, `setPermissionMode`, `failDfuAtBlock`, … */
export function virtualUsb<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([m, a]) => {
      const control = (window as unknown as { __reefVirtualUsb: Record<string, (...x: unknown[]) => unknown> })
        .__reefVirtualUsb;
      return control[m as string]!(...(a as unknown[])) as Promise<T>;
    },
    [method, args] as const,
  );
}

export function coralState(page: Page): Promise<CoralState> {
  return virtualUsb<CoralState>(page, 'state');
}

/**
 * The Devices page (no stick granted yet), "Connect accelerator", and the stick's card once it shows
 * in its bootloader. `permissionMode` is set on the bus before the click (e.g. `ask-again`).
 */
export async function connectCoral(page: Page, origin: string, permissionMode?: string): Promise<Locator> {
  await page.goto(`${origin}/#/devices`);
  await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible();
  await expect(page.getByTestId('no-devices')).toBeVisible();
  if (permissionMode) await virtualUsb(page, 'setPermissionMode', permissionMode);
  await page.getByRole('button', { name: 'Connect accelerator' }).click();
  const card = page.locator('[data-device="usb:0"]');
  await expect(card).toContainText('Needs firmware');
  return card;
}

/** "Use a firmware file…" on `card` with a fixture's bytes under the file name `name`. */
export async function chooseFirmwareFile(
  page: Page,
  card: Locator,
  fixture: FixtureName = 'apex_latest_single_ep.bin',
  name: string = fixture,
): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await card.getByRole('button', { name: 'Use a firmware file…' }).click();
  await (
    await chooser
  ).setFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(await readFixture(fixture)) });
}

/** Flashes the stick behind `card`: downloaded (from the mirror) or from the firmware fixture. */
export async function installFirmware(page: Page, card: Locator, from: 'download' | 'file'): Promise<void> {
  if (from === 'file') await chooseFirmwareFile(page, card);
  else await card.getByRole('button', { name: 'Install firmware' }).click();
  await expect(card.getByRole('status')).toHaveText('Firmware installed.', { timeout: 60_000 });
}

/** Models page: downloads a catalog entry (from the mirror) and waits until it is stored. */
export async function downloadCatalogModel(page: Page, origin: string, id: string, name: string): Promise<void> {
  await page.goto(`${origin}/#/models`);
  const entry = page.locator(`[data-entry="${id}"]`);
  await entry.getByRole('button', { name: `Download ${name}` }).click();
  await expect(entry.getByTestId('cached')).toBeVisible({ timeout: 60_000 });
}

/**
 * The usual opening of a virtual-Coral spec: catalog downloads from the mirror, the stick connected
 * and flashed (firmware downloaded), and MobileNet v1 0.25 stored with its CPU twin.
 */
export async function readyCoralWithMobileNet(page: Page, origin: string): Promise<void> {
  await mirrorModels(page, origin);
  await installFirmware(page, await connectCoral(page, origin), 'download');
  await downloadCatalogModel(page, origin, 'mobilenet-v1-0.25-128', 'MobileNet v1 0.25 (ImageNet)');
}
