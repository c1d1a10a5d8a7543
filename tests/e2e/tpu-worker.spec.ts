/**
 * The Edge TPU path of the accelerator worker in Chromium, against the virtual Coral injected into a
 * TEST build (REEF_TEST_USB=virtual-coral, built once per run into .cache/dist-virtual and served on its
 * own port, so dist/ of the other specs is untouched). The page's permission prompt goes through
 * the test shim (tests/e2e/support/virtual-usb-page.ts); everything else is the app's and the
 * worker's own code. The virtual Coral is a test double: no figure here is a hardware result.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { CATALOG, FIRMWARE_FILE } from '../../src/lib/zoo/index.ts';
import { VIRTUAL_USB_CHANNEL } from './support/virtual-usb-bus.ts';
import { FIXTURES } from '../support/fixtures.ts';
import { watchPage } from './support/page-watch.ts';
import { useVirtualCoral, VIRTUAL_BUILD_DIR } from './support/virtual-build.ts';
import { connectCoral, coralState, virtualUsb } from './support/virtual-coral-ui.ts';

const PORT = Number(process.env['E2E_VIRTUAL_PORT'] ?? 4180);
const ORIGIN = `http://localhost:${PORT}`;
const MIRROR = `${ORIGIN}/__mirror`;
/** Strings only the emulator has: the test channel's name and one of its protocol checks. */
const EMULATOR_MARKERS = [VIRTUAL_USB_CHANNEL, 'reset into an image that is not an official firmware'];

const mobilenet = CATALOG.find((e) => e.id === 'mobilenet-v1-0.25-128')!;
const compiledFile = mobilenet.files.find((f) => f.role === 'edgetpu')!;
const cpuFile = mobilenet.files.find((f) => f.role === 'cpu')!;
const catUrl = (() => {
  const cat = FIXTURES['cat.bmp'];
  return `${MIRROR}/${cat.repo}/${cat.commit}/${cat.path}`;
})();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function markersIn(dir: string): string[] {
  const found = new Set<string>();
  for (const file of filesUnder(dir)) {
    const text = readFileSync(file, 'latin1');
    for (const marker of EMULATOR_MARKERS) if (text.includes(marker)) found.add(marker);
  }
  return [...found];
}

useVirtualCoral(PORT);

type Settled<T> = { ok: true; value: T } | { ok: false; error: { code?: string; reason?: string; message: string } };

/** Calls the test build's handle on the worker API (window.__reefVirtualUsb.api). */
function api<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([m, a]) => {
      const control = (window as unknown as { __reefVirtualUsb: { api: Record<string, (...x: unknown[]) => unknown> } })
        .__reefVirtualUsb;
      return control.api[m as string]!(...(a as unknown[])) as Promise<T>;
    },
    [method, args] as const,
  );
}

function value<T>(settled: Settled<T>): T {
  if (!settled.ok) throw new Error(`worker call failed: ${JSON.stringify(settled.error)}`);
  return settled.value;
}

interface Classified {
  engine: string;
  device: string;
  fallback?: string;
  classes: { id: number; label: string; score: number }[];
}

/** Opens the Devices page and grants the stick (still in DFU) through the app's Connect button. */
async function connectDfuCoral(page: Page, mode?: 'ask-again'): Promise<void> {
  await expect(await connectCoral(page, ORIGIN, mode)).toContainText('Bootloader (needs firmware)');
}

test('normal builds contain no emulator; the virtual-coral test build does', () => {
  // dist/ is the production build `npm test` / `npm run test:e2e` made before this run.
  expect(existsSync('dist/index.html'), 'dist/ (the normal build) must exist').toBe(true);
  expect(markersIn('dist')).toEqual([]);
  expect(markersIn(VIRTUAL_BUILD_DIR).sort()).toEqual([...EMULATOR_MARKERS].sort());
});

test('DFU Coral → firmware with progress → re-enumerated → TPU inference equals the CPU twin → unplug → typed error → WASM fallback', async ({
  page,
}) => {
  const watch = await watchPage(page);
  await connectDfuCoral(page);

  // Every USB transfer from here on is recorded (the bug-report trace toggle).
  await api(page, 'setUsbTrace', true);

  // Firmware: downloaded at run time from the (mirrored) pinned URL, DFU, reset, re-acquired.
  const flashed = value(
    await api<Settled<{ outcome: unknown; progress: { phase: string; bytesDone: number; bytesTotal: number }[] }>>(
      page,
      'flash',
      'usb:0',
      'download',
      MIRROR,
    ),
  );
  expect(flashed.outcome).toEqual({ status: 'ready', device: 'usb:0', source: 'download' });
  const phases = [...new Set(flashed.progress.map((p) => p.phase))];
  expect(phases).toEqual(['fetch', 'download', 'verify', 'reset', 'reconnect']);
  const downloaded = flashed.progress.filter((p) => p.phase === 'download');
  expect(downloaded.length).toBeGreaterThan(1);
  expect(downloaded.at(-1)).toEqual({
    phase: 'download',
    bytesDone: FIRMWARE_FILE.sizeBytes,
    bytesTotal: FIRMWARE_FILE.sizeBytes,
  });
  const afterFlash = await coralState(page);
  expect(afterFlash.corals[0]).toMatchObject({
    personality: 'app',
    firmware: 'single-ep',
    enumerations: 2,
    granted: true,
    violations: [],
  });

  // The Devices page follows the re-enumeration live.
  const card = page.locator('[data-device="usb:0"]');
  await expect(card).toContainText('Ready');
  await expect(card).toContainText('Ready (firmware loaded)');
  await expect(card).toContainText('USB 3 SuperSpeed');

  // The model and its CPU twin from the (mirrored) catalog.
  value(await api<Settled<void>>(page, 'download', mobilenet.id, MIRROR));

  const tpuModel = value(
    await api<Settled<{ id: string; engine: string; device: string; requested: string; fallback?: string }>>(
      page,
      'load',
      compiledFile.sha256,
      'auto',
      cpuFile.sha256,
    ),
  );
  expect(tpuModel).toMatchObject({ engine: 'edgetpu', device: 'usb:0', requested: 'auto' });
  expect(tpuModel.fallback).toBeUndefined();

  const onTpu = value(await api<Settled<Classified>>(page, 'classify', tpuModel.id, catUrl));
  expect(onTpu).toMatchObject({ engine: 'edgetpu', device: 'usb:0' });
  expect(onTpu.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });
  await expect(card).toContainText(compiledFile.name);

  // The CPU twin on WASM gives the same classes and scores (the emulator computes from that twin).
  const twin = value(
    await api<Settled<{ id: string; engine: string; device: string }>>(page, 'load', cpuFile.sha256, 'wasm'),
  );
  expect(twin).toMatchObject({ engine: 'litert-wasm', device: 'cpu' });
  const onCpu = value(await api<Settled<Classified>>(page, 'classify', twin.id, catUrl));
  expect(onTpu.classes).toEqual(onCpu.classes);
  await api(page, 'unload', twin.id);

  // The virtual Coral saw a protocol-correct stream for every run so far.
  expect((await coralState(page)).corals[0]!.violations).toEqual([]);

  // The trace holds the DFU download (class requests to the bootloader) and the TPU's bulk stream.
  const trace = (await api<string>(page, 'takeUsbTrace'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; dir: string; setup?: { requestType: string; request: number } });
  expect(trace.some((r) => r.type === 'control' && r.setup?.requestType === 'class' && r.setup.request === 1)).toBe(
    true,
  );
  expect(trace.some((r) => r.type === 'bulk' && r.dir === 'out')).toBe(true);
  expect(trace.some((r) => r.type === 'bulk' && r.dir === 'in')).toBe(true);
  expect(await api<string>(page, 'takeUsbTrace')).toBe('');

  // Unplug: the next run fails with a typed error and the device leaves the list.
  await virtualUsb(page, 'unplug', 0);
  const failed = await api<Settled<Classified>>(page, 'classify', tpuModel.id, catUrl);
  expect(failed.ok).toBe(false);
  expect(!failed.ok && failed.error).toMatchObject({ code: 'UNAVAILABLE', reason: 'device-gone' });
  expect(!failed.ok && failed.error.message).toContain('usb:0');
  expect(await api<unknown[]>(page, 'devices')).toEqual([]);
  await expect(page.getByTestId('no-devices')).toBeVisible();

  // The page falls back to WASM, and every result says so.
  const moved = value(
    await api<Settled<{ id: string; engine: string; device: string; fallback?: string }>>(
      page,
      'fallBackToWasm',
      tpuModel.id,
      'unplugged',
    ),
  );
  expect(moved).toMatchObject({ id: tpuModel.id, engine: 'litert-wasm (cpu twin)', device: 'cpu' });
  expect(moved.fallback).toBe('usb:0 is not available (unplugged); running on WASM');
  const onFallback = value(await api<Settled<Classified>>(page, 'classify', tpuModel.id, catUrl));
  expect(onFallback).toMatchObject({
    engine: 'litert-wasm (cpu twin)',
    device: 'cpu',
    fallback: 'usb:0 is not available (unplugged); running on WASM',
  });
  expect(onFallback.classes).toEqual(onCpu.classes);

  expect(watch.pageErrors).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});

test('when the grant does not carry over, the flash asks for the second permission and the Connect button completes it', async ({
  page,
}) => {
  const watch = await watchPage(page);
  await connectDfuCoral(page, 'ask-again');

  const flashed = value(
    await api<Settled<{ outcome: { status: string; message?: string; filters?: unknown[] } }>>(
      page,
      'flash',
      'usb:0',
      { url: `${MIRROR}/${FIRMWARE_FILE.repo}/${FIRMWARE_FILE.commit}/${FIRMWARE_FILE.path}` },
      MIRROR,
      1500,
    ),
  );
  expect(flashed.outcome).toMatchObject({
    status: 'needs-permission',
    filters: [
      { vendorId: 0x1a6e, productId: 0x089a },
      { vendorId: 0x18d1, productId: 0x9302 },
    ],
  });
  expect(flashed.outcome.message).toContain('needs your permission');
  const hidden = await coralState(page);
  expect(hidden.corals[0]).toMatchObject({ personality: 'app', granted: false, violations: [] });
  await expect(page.getByTestId('no-devices')).toBeVisible();

  // The second prompt: the app's own permission code (requestDevice with the Coral filters).
  await page.getByRole('button', { name: 'Connect accelerator' }).click();
  const card = page.locator('[data-device="usb:0"]');
  await expect(card).toContainText('Ready');
  expect(
    await page.evaluate(
      () => (window as unknown as { __reefVirtualUsb: { prompts: number } }).__reefVirtualUsb.prompts,
    ),
  ).toBe(2);

  // A wrong firmware file is refused before anything is sent: the stick needs a replug into DFU.
  await virtualUsb(page, 'replug', 0);
  await page.getByRole('button', { name: 'Connect accelerator' }).click();
  await expect(card).toContainText('Needs firmware');
  const multi = FIXTURES['apex_latest_multi_ep.bin'];
  const refused = await api<Settled<unknown>>(
    page,
    'flash',
    'usb:0',
    { url: `${MIRROR}/${multi.repo}/${multi.commit}/${multi.path}` },
    MIRROR,
  );
  expect(!refused.ok && refused.error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'wrong-firmware' });
  expect((await coralState(page)).corals[0]).toMatchObject({ personality: 'dfu', violations: [] });

  expect(watch.pageErrors).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});

test('a failed DFU download is a typed error and a replug recovers; a second Coral on USB 2 is usb:1 with the warning', async ({
  page,
}) => {
  const watch = await watchPage(page);
  await connectDfuCoral(page);
  const card0 = page.locator('[data-device="usb:0"]');

  await virtualUsb(page, 'failDfuAtBlock', 0, 3);
  const failed = await api<Settled<unknown>>(page, 'flash', 'usb:0', 'download', MIRROR);
  expect(!failed.ok && failed.error).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'firmware-rejected' });
  expect((await coralState(page)).corals[0]).toMatchObject({ personality: 'dfu', enumerations: 1 });

  // Replug: the bootloader comes back (same grant), and this time the image goes through — from the
  // cache. The emulator's DFU fault stays armed across replugs, so it is disarmed (block -1) first.
  await virtualUsb(page, 'failDfuAtBlock', 0, -1);
  await virtualUsb(page, 'replug', 0);
  await expect(card0).toContainText('Needs firmware');
  const retried = value(await api<Settled<{ outcome: unknown }>>(page, 'flash', 'usb:0', 'download', MIRROR));
  expect(retried.outcome).toEqual({ status: 'ready', device: 'usb:0', source: 'cache' });
  await expect(card0).toContainText('Ready');

  // A second stick on a USB 2 port: the chooser grants it, it becomes usb:1 and warns about the link.
  await virtualUsb(page, 'addCoral', 'high');
  await page.getByRole('button', { name: 'Connect accelerator' }).click();
  const card1 = page.locator('[data-device="usb:1"]');
  await expect(card1).toContainText('Needs firmware');
  const second = value(await api<Settled<{ outcome: unknown }>>(page, 'flash', 'usb:1', 'download', MIRROR));
  expect(second.outcome).toEqual({ status: 'ready', device: 'usb:1', source: 'cache' });
  await expect(card1).toContainText('USB 2 high speed');
  await expect(card1.getByRole('note')).toContainText('USB 2');
  await expect(card0.getByRole('note')).toHaveCount(0);

  value(await api<Settled<void>>(page, 'download', mobilenet.id, MIRROR));
  const pinned = value(
    await api<Settled<{ id: string; engine: string; device: string }>>(page, 'load', compiledFile.sha256, 'usb:1'),
  );
  expect(pinned).toMatchObject({ engine: 'edgetpu', device: 'usb:1' });
  const result = value(await api<Settled<Classified>>(page, 'classify', pinned.id, catUrl));
  expect(result).toMatchObject({ engine: 'edgetpu', device: 'usb:1' });
  expect(result.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });
  await expect(card1).toContainText(compiledFile.name);
  await expect(card0).toContainText('none loaded');
  const corals = (await coralState(page)).corals;
  await page.screenshot({ path: 'test-results/screens/devices-virtual-corals.png', fullPage: true });
  // The first DFU attempt was refused by design; nothing else went wrong on either stick.
  expect(corals.map((c) => c.violations)).toEqual([[], []]);

  expect(watch.pageErrors).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
});
