import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { FIXTURES, fixturePath, readFixture, type FixtureName } from '../support/fixtures.ts';
import { watchPage } from './support/page-watch.ts';

/** The second local origin the preview server's CSP lists (vite.config.ts, E2E_MIRROR_PORT). */
const MIRROR_PORT = Number(process.env['E2E_MIRROR_PORT'] ?? 4187);

/**
 * A plain static server on another port: fixture files under the catalog's paths
 * (`/<owner>/<repo>/<commit>/<path>`), with the CORS header any public mirror sends. It counts
 * requests so the test knows the files came from here and not from the app's own origin.
 */
function startMirror(): Promise<{ server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('Access-Control-Allow-Origin', '*');
    const match = req.url?.match(/^\/([^/]+\/[^/]+)\/[0-9a-f]{40}\/(.+)$/);
    const name = (Object.keys(FIXTURES) as FixtureName[]).find(
      (n) => match && FIXTURES[n].repo === match[1] && FIXTURES[n].path === decodeURIComponent(match[2] ?? ''),
    );
    if (!name) {
      res.statusCode = 404;
      res.end('not on this mirror');
      return;
    }
    void fixturePath(name).then((file) => {
      const bytes = readFileSync(file);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(bytes.length));
      res.end(bytes);
    });
  });
  return new Promise((resolve) => server.listen(MIRROR_PORT, 'localhost', () => resolve({ server, hits })));
}

test.describe('download mirror on another origin', () => {
  let mirror: { server: Server; hits: string[] };
  test.beforeAll(async () => {
    mirror = await startMirror();
  });
  test.afterAll(async () => {
    await new Promise((r) => mirror.server.close(r));
  });

  test('a catalog download from a second local origin is verified and kept; an origin the CSP does not list fails with a next step', async ({
    page,
  }) => {
    const watch = await watchPage(page);
    const port = (mirror.server.address() as AddressInfo).port;
    await page.goto('/#/models');
    const card = page.locator('[data-entry="mobilenet-v1-0.25-128"]');

    // 127.0.0.1 is another origin than localhost: plain HTTP there is not in connect-src.
    await page.getByText('Download source').click();
    const baseUrl = page.getByLabel(/Base URL of the model files/);
    await baseUrl.fill(`http://127.0.0.1:${port}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await card.getByRole('button', { name: 'Download MobileNet v1 0.25 (ImageNet)' }).click();
    const error = card.getByRole('alert');
    await expect(error).toContainText('could not be downloaded');
    // The next step is a button on the card, and the message has no long URL in it.
    await expect(card.getByRole('button', { name: /Use a file/ })).toBeVisible();
    expect((await error.innerText()).includes('http://')).toBe(false);
    expect(mirror.hits).toEqual([]);

    await baseUrl.fill(`http://localhost:${port}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await card.getByRole('button', { name: 'Download MobileNet v1 0.25 (ImageNet)' }).click();
    await expect(card.getByTestId('cached')).toHaveText('Downloaded, available offline', { timeout: 30_000 });
    await expect(card.getByRole('alert')).toHaveCount(0);
    expect(mirror.hits.length).toBe(3);
    expect(mirror.hits.every((h) => h.startsWith('/google-coral/'))).toBe(true);
    await expect(page.getByRole('table', { name: 'Stored files' })).toContainText(
      'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
    );

    const csp = (await page.request.get('/')).headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/connect-src [^;]*https:/);
    expect(csp).toContain(`http://localhost:${MIRROR_PORT}`);
    expect(watch.pageErrors).toEqual([]);
  });

  test('no download at all: "Use a file…" on a catalog card and "Choose extractor files…" on Train take files from disk, checked against the pins', async ({
    page,
    context,
  }) => {
    const watch = await watchPage(page);
    const files = (names: FixtureName[], as?: string) =>
      Promise.all(
        names.map(async (name) => ({
          name: as ?? name,
          mimeType: 'application/octet-stream',
          buffer: Buffer.from(await readFixture(name)),
        })),
      );
    await page.goto('/#/models');
    await context.setOffline(true);
    const card = page.locator('[data-entry="mobilenet-v1-0.25-128"]');
    const choose = async (picked: Awaited<ReturnType<typeof files>>) => {
      const chooser = page.waitForEvent('filechooser');
      await card.getByRole('button', { name: 'Use a file for MobileNet v1 0.25 (ImageNet)' }).click();
      await (await chooser).setFiles(picked);
    };
    // A file named like the model but with other bytes is refused, and nothing is kept.
    await choose(await files(['cat.bmp'], 'mobilenet_v1_0.25_128_quant.tflite'));
    await expect(card.getByRole('alert')).toContainText(
      'mobilenet_v1_0.25_128_quant.tflite is not one of the files of MobileNet v1 0.25 (ImageNet)',
    );
    await expect(card.locator('[aria-label="cached"]')).toHaveCount(0);
    await page.screenshot({ path: '/tmp/reef-i/models-use-file-refused-desktop.png', fullPage: true });

    await choose(
      await files([
        'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
        'mobilenet_v1_0.25_128_quant.tflite',
        'imagenet_labels.txt',
      ]),
    );
    await expect(card.getByTestId('cached')).toHaveText('Downloaded, available offline');
    await expect(card.getByRole('alert')).toHaveCount(0);

    await page.goto('/#/train');
    const extractor = page.getByRole('button', { name: 'Choose extractor files…' });
    const chooser = page.waitForEvent('filechooser');
    await extractor.click();
    await (
      await chooser
    ).setFiles(
      await files([
        'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
        'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
      ]),
    );
    // With the extractor stored, the page offers training on it instead of the download.
    await expect(page.getByRole('button', { name: 'Download the extractor' })).toHaveCount(0, { timeout: 30_000 });
    await expect(extractor).toHaveCount(0);
    await context.setOffline(false);
    expect(watch.pageErrors).toEqual([]);
  });
});
