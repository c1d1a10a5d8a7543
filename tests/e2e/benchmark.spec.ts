import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { importFixtures } from './support/library.ts';
import { watchPage } from './support/page-watch.ts';

test.describe('benchmark page', () => {
  test('times a model on WASM with progress, shows the table and histogram, exports a CSV', async ({ page }) => {
    const watch = await watchPage(page);
    await importFixtures(page, ['mobilenet_v1_0.25_128_quant.tflite']);
    await page.goto('/#/benchmark');
    await expect(page.getByRole('heading', { level: 1, name: 'Benchmark' })).toBeVisible();
    const model = page.getByRole('checkbox', { name: 'mobilenet_v1_0.25_128_quant.tflite' });
    await expect(model).toBeChecked();
    await expect(page.getByRole('checkbox', { name: 'CPU (WebAssembly)' })).toBeChecked();
    await page.getByLabel('Iterations').fill('20');
    await page.getByRole('button', { name: 'Run benchmark' }).click();

    const progress = page.getByRole('progressbar', { name: 'Benchmark progress' });
    await expect(progress).toBeVisible();
    await expect(page.getByText('20 of 20 runs')).toBeVisible({ timeout: 60_000 });
    const table = page.getByRole('table', { name: 'Latency by model and engine' });
    await expect(table.getByRole('row')).toHaveCount(2);
    await expect(table).toContainText('mobilenet_v1_0.25_128_quant.tflite');
    // Plain words in the cell, the engine id in its tooltip.
    await expect(table).toContainText('CPU (WebAssembly)');
    await expect(table.locator('td[data-label="Ran on"]')).toHaveAttribute('title', /litert-wasm/);
    await expect(table.getByTestId('median')).toHaveText(/^\d+\.\d\d ms$/);
    await expect(page.getByRole('figure', { name: 'Latency' }).locator('canvas')).toBeVisible();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/benchmark-results-desktop.png', fullPage: true });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^reef-benchmark-.*\.csv$/);
    const lines = readFileSync(await file.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('model,engine,ran_on,iteration,latency_ms');
    expect(lines).toHaveLength(21);
    for (const line of lines.slice(1))
      expect(line).toMatch(/^mobilenet_v1_0\.25_128_quant\.tflite,wasm,[^,]+,\d+,\d+\.\d{3}$/);

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => overflowing(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/screens/benchmark-results-phone.png', fullPage: true });
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  });
});
