/**
 * "Check my Coral" and firmware from a file, through the UI only, on the virtual Coral of the TEST
 * build: a wrong firmware file is refused with the mismatch named and nothing sent, the right one
 * flashes; then the self-test shows a verdict per step and its report downloads as a ZIP whose USB
 * trace holds the run's real transfers. The emulator is a test double: nothing here is a hardware
 * result, and the latency verdict is only checked to exist.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { parseTrace } from '../../src/lib/edgetpu/usb/trace.ts';
import { overflowing, unlabelledControls } from './support/a11y.ts';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral } from './support/virtual-build.ts';
import { chooseFirmwareFile, connectCoral, coralState, mirrorModels } from './support/virtual-coral-ui.ts';

const coral = useVirtualCoral(Number(process.env['E2E_VIRTUAL_SELFTEST_PORT'] ?? 4183));

/** The service worker's "installed for offline use" note would cover the card in screenshots. */
async function dismissInstalledToast(page: Page): Promise<void> {
  const ok = page.getByRole('button', { name: 'OK' });
  if (await ok.isVisible()) await ok.click();
}

test('firmware from a file: a wrong file is refused naming the mismatch and nothing is sent; the right one flashes; then "Check my Coral" gives verdicts and a report with the USB trace', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const watch = await watchPage(page);
  await mirrorModels(page, coral.origin);
  const card = await connectCoral(page, coral.origin);
  await expect(card.getByRole('button', { name: 'Use a firmware file…' })).toBeVisible();
  expect(await unlabelledControls(page)).toEqual([]);
  const before = (await coralState(page)).corals[0]!;

  // The multi-endpoint image: a real Coral firmware, but not the one Reef drives.
  await chooseFirmwareFile(page, card, 'apex_latest_multi_ep.bin');
  await expect(card.getByRole('alert')).toHaveText(
    'this is the multi-endpoint firmware (apex_latest_multi_ep.bin); Reef drives the single-endpoint image apex_latest_single_ep.bin',
  );
  // Any other file: its size and sha256 against the pinned ones.
  await chooseFirmwareFile(page, card, 'testconv1-test-input.bin', 'apex_latest_single_ep.bin');
  await expect(card.getByRole('alert')).toHaveText(
    /^not the Coral firmware: 3072 bytes with sha256 466073616e9815eeaa8c93b80ee6f1266dd3981a5a843f78603207b19fa2bc7b, expected apex_latest_single_ep\.bin \(10783 bytes, sha256 3b07311b174b81fd14fd2c887f40d646c0ebf2f140cc5ee5cf8befa0f3e3dc7f\)$/,
  );
  await dismissInstalledToast(page);
  await page.screenshot({ path: '/tmp/reef-devices-firmware-refused-1280.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => overflowing(page)).toEqual([]);
  await dismissInstalledToast(page);
  await page.screenshot({ path: '/tmp/reef-devices-firmware-refused-390.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  // Nothing reached the stick: still the same bootloader, no image, no re-enumeration.
  expect((await coralState(page)).corals[0]).toEqual({ ...before, violations: [] });
  await expect(card).toContainText('Needs firmware');

  await chooseFirmwareFile(page, card);
  await expect(card.getByRole('status')).toHaveText('Firmware installed.', { timeout: 60_000 });
  await expect(card).toContainText('Ready (firmware loaded)');
  expect((await coralState(page)).corals[0]).toMatchObject({ personality: 'app', firmware: 'single-ep' });

  // "Check my Coral": the test models come from the (mirrored) pinned sources.
  await card.getByRole('button', { name: 'Check my Coral' }).click();
  await expect(card.getByRole('button', { name: 'Checking…' })).toBeDisabled();
  const summary = card.getByTestId('self-test-summary');
  await expect(summary).toBeVisible({ timeout: 180_000 });
  const steps = card.getByTestId('self-test-steps').locator('li');
  await expect(steps).toHaveCount(8);
  const verdicts = await steps.evaluateAll((items) =>
    Object.fromEntries(items.map((li) => [li.getAttribute('data-step'), li.getAttribute('data-verdict')])),
  );
  expect(verdicts).toEqual({
    identity: 'pass',
    'usb-speed': 'pass',
    clock: 'pass',
    testconv1: 'pass',
    classify: 'pass',
    'tiled-int8': 'pass',
    cocompiled: 'pass',
    latency: expect.stringMatching(/^(pass|warn)$/),
  });
  await expect(card.locator('[data-step="testconv1"]')).toContainText(
    "all 14400 output bytes equal coralmicro's golden file",
  );
  await expect(card.locator('[data-step="classify"]')).toContainText('top-1 class 283 as on the CPU twin');
  await expect(card.locator('[data-step="latency"]')).toContainText(/published figure 2\.4 ms for MobileNet v1/);
  await expect(summary).toHaveText(/^No problem found: \d passed, 0 failed/);
  expect(await unlabelledControls(page)).toEqual([]);
  await dismissInstalledToast(page);
  await page.screenshot({ path: '/tmp/reef-devices-self-test-1280.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => overflowing(page)).toEqual([]);
  await dismissInstalledToast(page);
  await page.screenshot({ path: '/tmp/reef-devices-self-test-390.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  const download = page.waitForEvent('download');
  await card.getByRole('button', { name: 'Download report' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^reef-doctor-\d{4}-\d\d-\d\dT[\d-]+Z\.zip$/);
  const zip = unzipSync(new Uint8Array(await readFile(await file.path())));
  expect(Object.keys(zip).sort()).toEqual(['README.txt', 'report.json', 'report.txt', 'usb-trace.jsonl']);
  const report = JSON.parse(strFromU8(zip['report.json']!)) as {
    outcome: string;
    environment: Record<string, string>;
    steps: { id: string; verdict: string }[];
    trace: { transfers: number };
  };
  expect(report.outcome).toBe('pass');
  expect(report.environment['runtime']).toMatch(/^browser worker: Mozilla\/5\.0 .*Chrome\//);
  expect(report.steps.map((s) => s.id)).toEqual(Object.keys(verdicts));
  const trace = parseTrace(strFromU8(zip['usb-trace.jsonl']!));
  expect(trace.length).toBe(report.trace.transfers);
  // Real transfers of the run: inputs out on bulk endpoint 1, outputs in on 0x81, all completed.
  const bulkOut = trace.filter((r) => r.type === 'bulk' && r.dir === 'out' && r.endpoint === 1);
  const bulkIn = trace.filter((r) => r.type === 'bulk' && r.dir === 'in' && r.endpoint === 1);
  expect(bulkOut.length).toBeGreaterThan(10);
  expect(bulkIn.length).toBeGreaterThan(10);
  expect(bulkOut.every((r) => r.status === 'ok' && r.length > 0)).toBe(true);
  expect(strFromU8(zip['report.txt']!)).toMatch(/^PASS {4}testconv1 golden output \(bit-exact\)/m);

  expect((await coralState(page)).corals[0]!.violations).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.pageErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});
