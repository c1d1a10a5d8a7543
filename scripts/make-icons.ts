/**
 * Renders public/icons/reef.svg to the PNG sizes the web manifest needs, with system Chromium.
 * Run by hand after changing the logo: `npx tsx scripts/make-icons.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';

const svg = readFileSync(new URL('../public/icons/reef.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium' });
const page = await browser.newPage();

async function render(file: string, size: number, maskable: boolean): Promise<void> {
  await page.setViewportSize({ width: size, height: size });
  // A maskable icon keeps its artwork inside the central 80% safe zone on a full-bleed background.
  const inner = maskable ? Math.round(size * 0.72) : size;
  await page.setContent(
    `<body style="margin:0;display:grid;place-items:center;width:${size}px;height:${size}px;background:${maskable ? '#0b7a75' : 'transparent'}">` +
      `<div style="width:${inner}px;height:${inner}px">${svg.replace('<svg ', `<svg width="${inner}" height="${inner}" `)}</div></body>`,
  );
  writeFileSync(
    new URL(`../public/icons/${file}`, import.meta.url),
    await page.screenshot({ omitBackground: !maskable }),
  );
}

await render('reef-192.png', 192, false);
await render('reef-512.png', 512, false);
await render('reef-maskable-512.png', 512, true);
await browser.close();
