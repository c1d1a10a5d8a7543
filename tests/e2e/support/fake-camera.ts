/**
 * Makes the video Chromium's fake camera plays (`--use-file-for-fake-video-capture`): a fixture
 * image, decoded and JPEG-encoded by Chromium itself, repeated as MJPEG frames. Written once per
 * run before the browser starts (Playwright globalSetup).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from '@playwright/test';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

export const FAKE_CAMERA_FILE = new URL('../../../.cache/e2e/fake-camera.mjpeg', import.meta.url).pathname;

export async function writeFakeCamera(image: FixtureName, file = FAKE_CAMERA_FILE, frames = 30): Promise<void> {
  const bytes = await readFixture(image);
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage();
    const jpegBase64 = await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/bmp;base64,${b64}`)).blob();
      const bitmap = await createImageBitmap(blob);
      // 640×480 like a webcam: the image letterboxed onto black so nothing is cropped.
      const canvas = new OffscreenCanvas(640, 480);
      const ctx = canvas.getContext('2d')!;
      const scale = Math.min(640 / bitmap.width, 480 / bitmap.height);
      const w = bitmap.width * scale;
      const h = bitmap.height * scale;
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, 640, 480);
      ctx.drawImage(bitmap, (640 - w) / 2, (480 - h) / 2, w, h);
      const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
      const data = new Uint8Array(await jpeg.arrayBuffer());
      let s = '';
      for (const byte of data) s += String.fromCharCode(byte);
      return btoa(s);
    }, Buffer.from(bytes).toString('base64'));
    const frame = Buffer.from(jpegBase64, 'base64');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.concat(Array.from({ length: frames }, () => frame)));
  } finally {
    await browser.close();
  }
}
