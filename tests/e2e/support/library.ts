/** Fixture files put into the app the way a person does: through its file pickers. */
import { expect, type Page } from '@playwright/test';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

export async function importFixtures(page: Page, names: FixtureName[]): Promise<void> {
  await page.goto('/#/models');
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files' }).click();
  await (
    await chooser
  ).setFiles(
    await Promise.all(
      names.map(async (name) => ({
        name,
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(await readFixture(name)),
      })),
    ),
  );
  await expect(page.getByRole('status').filter({ hasText: `Imported ${names.join(', ')}` })).toBeVisible();
}

export async function pickImage(page: Page, button: string, name: FixtureName): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button }).click();
  await (
    await chooser
  ).setFiles({
    name,
    mimeType: name.endsWith('.jpg') ? 'image/jpeg' : 'image/bmp',
    buffer: Buffer.from(await readFixture(name)),
  });
}

/** Train page: "Upload images to <class>" with fixture images (named `nameOf(fixture, i)` in the picker). */
export async function uploadSamples(
  page: Page,
  className: string,
  names: FixtureName[],
  nameOf: (name: FixtureName, i: number) => string = (name) => name,
): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: `Upload images to ${className}` }).click();
  await (
    await chooser
  ).setFiles(
    await Promise.all(
      names.map(async (name, i) => ({
        name: nameOf(name, i),
        mimeType: 'image/bmp',
        buffer: Buffer.from(await readFixture(name)),
      })),
    ),
  );
}
