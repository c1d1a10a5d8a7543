/** Puts fixture files into the app's model library the way a person does: the Models page's file picker. */
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
