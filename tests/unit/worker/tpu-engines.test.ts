/**
 * The worker's firmware step and Edge TPU engines in Node, against the virtual Coral behind the
 * test build's WebUSB permission layer (tests/e2e/support/virtual-usb-bus.ts). The emulator's
 * outputs come from the CPU twin in LiteRT.js: a test double, never a hardware result.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { DevicePool } from '../../../src/lib/edgetpu/index.ts';
import { LiteRtRuntime } from '../../../src/lib/runtime/index.ts';
import { FIRMWARE_FILE, MemoryFileCache } from '../../../src/lib/zoo/index.ts';
import { WorkerEngines, type ClassifyResult } from '../../../src/worker/engines.ts';
import { flashDevice, type FirmwareProgress } from '../../../src/worker/firmware.ts';
import { TpuEngines } from '../../../src/worker/tpu-engines.ts';
import { EmulatedUsb } from '../../emulator/usb-host.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';
import { PermissionedUsb, type PermissionMode } from '../../e2e/support/virtual-usb-bus.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage } from '../runtime/support.ts';

const COMPILED = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
const TWIN = 'mobilenet_v1_0.25_128_quant.tflite';
const DFU_FILTERS = [{ vendorId: 0x1a6e, productId: 0x089a }];

let compiled: Uint8Array;
let twin: Uint8Array;
let firmware: Uint8Array;

beforeAll(async () => {
  [compiled, twin, firmware] = await Promise.all([
    readFixture(COMPILED),
    readFixture(TWIN),
    readFixture('apex_latest_single_ep.bin'),
  ]);
});

/** One DFU stick, granted by the page, with the MobileNet registered (outputs from its twin). */
async function dfuCoral(mode: PermissionMode = 'carry-over') {
  const inner = new EmulatedUsb();
  const coral = new VirtualCoral({ usb: inner, reenumerateMs: 5 });
  coral.registerModel(COMPILED, compiled, await twinCompute(compiled, twin));
  const usb = new PermissionedUsb(inner, [coral], mode);
  await usb.requestDevice({ filters: DFU_FILTERS });
  const pool = new DevicePool(usb);
  await pool.refresh();
  return { coral, usb, pool };
}

describe('flashDevice (worker firmware step)', () => {
  it('flashes a file, reports every phase, and re-acquires the app device as the same usb id', async () => {
    const { coral, usb, pool } = await dfuCoral();
    expect(pool.devices()).toMatchObject([{ id: 'usb:0', state: 'needs-firmware' }]);
    const progress: FirmwareProgress[] = [];
    const outcome = await flashDevice(pool, usb, new MemoryFileCache(), 'usb:0', { bytes: firmware }, (p) =>
      progress.push(p),
    );
    expect(outcome).toEqual({ status: 'ready', device: 'usb:0', source: 'file' });
    expect([...new Set(progress.map((p) => p.phase))]).toEqual(['fetch', 'download', 'verify', 'reset', 'reconnect']);
    expect(progress.filter((p) => p.phase === 'download').at(-1)).toMatchObject({
      bytesDone: firmware.length,
      bytesTotal: firmware.length,
    });
    expect(pool.devices()).toMatchObject([{ id: 'usb:0', personality: 'app', state: 'idle' }]);
    expect(coral).toMatchObject({ firmware: 'single-ep', enumerations: 2, violations: [] });
    await pool.close();
  });

  it('takes the pinned image from the cache without a download', async () => {
    const { usb, pool } = await dfuCoral();
    const cache = new MemoryFileCache();
    await cache.put(firmware, {
      sha256: FIRMWARE_FILE.sha256,
      name: FIRMWARE_FILE.name,
      sizeBytes: firmware.length,
      source: 'test',
      storedAt: 0,
    });
    const outcome = await flashDevice(pool, usb, cache, 'usb:0', 'download', undefined, {
      baseUrl: 'http://127.0.0.1:9/unreachable',
    });
    expect(outcome).toEqual({ status: 'ready', device: 'usb:0', source: 'cache' });
    await pool.close();
  });

  it('asks for the second permission when the grant does not carry over, and the grant completes it', async () => {
    const { coral, usb, pool } = await dfuCoral('ask-again');
    const outcome = await flashDevice(pool, usb, new MemoryFileCache(), 'usb:0', { bytes: firmware }, undefined, {
      reconnectTimeoutMs: 300,
    });
    expect(outcome).toMatchObject({
      status: 'needs-permission',
      filters: [
        { vendorId: 0x1a6e, productId: 0x089a },
        { vendorId: 0x18d1, productId: 0x9302 },
      ],
    });
    expect(coral.personality).toBe('app');
    expect(pool.devices()).toEqual([]);
    await usb.requestDevice({ filters: [{ vendorId: 0x18d1, productId: 0x9302 }] });
    expect(await pool.refresh()).toMatchObject([{ id: 'usb:0', personality: 'app' }]);
    await pool.close();
  });

  it('refuses the multi-endpoint image, a device that is not in DFU, and an unknown id', async () => {
    const { coral, usb, pool } = await dfuCoral();
    const cache = new MemoryFileCache();
    const multi = await readFixture('apex_latest_multi_ep.bin');
    await expect(flashDevice(pool, usb, cache, 'usb:0', { bytes: multi }, undefined)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'wrong-firmware',
    });
    expect(coral.personality).toBe('dfu');
    await expect(flashDevice(pool, usb, cache, 'usb:3', { bytes: firmware }, undefined)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      reason: 'unknown-device',
    });
    await flashDevice(pool, usb, cache, 'usb:0', { bytes: firmware }, undefined);
    await expect(flashDevice(pool, usb, cache, 'usb:0', { bytes: firmware }, undefined)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      reason: 'not-dfu',
    });
    await pool.close();
  });
});

describe('TpuEngines (engine choice in the worker)', () => {
  const runtime = () => new LiteRtRuntime(nodeLiteRtLoader);

  it('auto runs a compiled model on the TPU, equal to the twin on WASM; unplug → UNAVAILABLE → visible fallback', async () => {
    const { coral, usb, pool } = await dfuCoral();
    await flashDevice(pool, usb, new MemoryFileCache(), 'usb:0', { bytes: firmware }, undefined);
    const cpu = new WorkerEngines(() => cpuEngine());
    const engines = new TpuEngines(pool, cpu, runtime);
    const cat = await fixtureImage('cat.bmp');

    const onTpu = await engines.load(compiled, { engine: 'auto', cpuTwin: twin, name: COMPILED });
    expect(onTpu).toMatchObject({ engine: 'edgetpu', device: 'usb:0', requested: 'auto' });
    expect(pool.devices()[0]!.models).toEqual([COMPILED]);
    const tpuResult = (await engines.runTask(onTpu.id, cat, 'classify', { topK: 3 })) as ClassifyResult;
    expect(tpuResult).toMatchObject({ engine: 'edgetpu', device: 'usb:0' });
    expect(tpuResult.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });

    const onWasm = await engines.load(twin, { engine: 'wasm' });
    expect(onWasm).toMatchObject({ engine: 'litert-wasm', device: 'cpu', requested: 'wasm' });
    const wasmResult = (await engines.runTask(onWasm.id, cat, 'classify', { topK: 3 })) as ClassifyResult;
    expect(tpuResult.classes).toEqual(wasmResult.classes);
    expect(coral.violations).toEqual([]);

    coral.unplug();
    await expect(engines.runTask(onTpu.id, cat, 'classify')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'device-gone',
    });
    expect(pool.devices()).toEqual([]);
    const moved = await engines.fallBackToWasm(onTpu.id, 'unplugged');
    expect(moved).toMatchObject({ id: onTpu.id, engine: 'litert-wasm (cpu twin)', device: 'cpu' });
    const fallback = (await engines.runTask(onTpu.id, cat, 'classify', { topK: 3 })) as ClassifyResult & {
      fallback?: string;
    };
    expect(fallback.fallback).toBe('usb:0 is not available (unplugged); running on WASM');
    expect(fallback.classes).toEqual(wasmResult.classes);

    // Replugged (DFU again) and flashed: the same id goes back to the TPU, without a fallback note.
    coral.replug();
    await pool.refresh();
    await flashDevice(pool, usb, new MemoryFileCache(), 'usb:0', { bytes: firmware }, undefined);
    const back = await engines.reload(onTpu.id, 'auto');
    expect(back).toMatchObject({ id: onTpu.id, engine: 'edgetpu', device: 'usb:0' });
    expect(back.fallback).toBeUndefined();
    const again = (await engines.runTask(onTpu.id, cat, 'classify', { topK: 3 })) as ClassifyResult & {
      fallback?: string;
    };
    expect(again).toMatchObject({ engine: 'edgetpu', device: 'usb:0' });
    expect(again.fallback).toBeUndefined();
    expect(again.classes).toEqual(wasmResult.classes);
    expect(pool.devices()[0]!.models).toEqual([COMPILED]);
    expect(coral.violations).toEqual([]);
    expect(engines.unload(onTpu.id)).toBe(true);
    expect(pool.devices()[0]!.models).toEqual([]);
    await pool.close();
  });

  it('auto without a ready TPU runs the twin and says why; usb:N and bad engines fail typed', async () => {
    const { pool } = await dfuCoral();
    const engines = new TpuEngines(pool, new WorkerEngines(() => cpuEngine()), runtime);
    const auto = await engines.load(compiled, { engine: 'auto', cpuTwin: twin });
    expect(auto).toMatchObject({ engine: 'litert-wasm (cpu twin)', device: 'cpu' });
    expect(auto.fallback).toBe('the connected Coral needs its firmware (Devices page); running on CPU (WebAssembly)');
    const raw = await engines.run(auto.id, [new Uint8Array(128 * 128 * 3)]);
    expect(raw.fallback).toBe(auto.fallback);

    await expect(engines.load(compiled, { engine: 'usb:0' })).rejects.toMatchObject({ reason: 'needs-firmware' });
    await expect(engines.load(compiled, { engine: 'gpu' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'unknown-engine',
    });
    await expect(engines.load(twin, { engine: 'usb' })).rejects.toMatchObject({ reason: 'not-compiled' });
    await expect(engines.load(compiled, { engine: 'auto' })).rejects.toMatchObject({ reason: 'needs-accelerator' });

    const none = new TpuEngines(undefined, new WorkerEngines(() => cpuEngine()), runtime);
    await expect(none.load(compiled, { engine: 'usb' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'no-webusb',
    });
    await pool.close();
  });
});
