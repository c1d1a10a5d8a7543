/**
 * Embeddings for training on the (virtual) Edge TPU, in the accelerator worker's embedder: the
 * compiled extractor runs through Reef's driver on the virtual Coral (whose outputs come from the
 * CPU twin: a test double, never a hardware figure), the cache is keyed by extractor AND engine,
 * and an unplug mid-run re-embeds the whole run on WASM with a notice (never a mix of kinds).
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { DevicePool } from '../../../src/lib/edgetpu/index.ts';
import { embedImages } from '../../../src/lib/learn/embeddings.ts';
import { LiteRtRuntime } from '../../../src/lib/runtime/index.ts';
import { DatasetStore, openReefDb } from '../../../src/lib/store/index.ts';
import { EmbeddingJobs, type EmbedProgress } from '../../../src/worker/embedding-jobs.ts';
import { WorkerEngines } from '../../../src/worker/engines.ts';
import { TpuEngines } from '../../../src/worker/tpu-engines.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { EmulatedUsb } from '../../emulator/usb-host.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';
import { PermissionedUsb } from '../../e2e/support/virtual-usb-bus.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine } from '../runtime/support.ts';
import { wasmEngine } from './litert-harness.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const COMPILED = 'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite';
const TWIN = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const FILES = ['cat.bmp', 'imprinting_cat_train_0.bmp', 'bird.bmp', 'grace_hopper.bmp'] as const;

let compiled: Uint8Array;
let twin: Uint8Array;
/** The twin's embeddings of FILES in WASM: what the virtual Coral must reproduce. */
let expected: Float32Array;

beforeAll(async () => {
  [compiled, twin] = await Promise.all([readFixture(COMPILED), readFixture(TWIN)]);
  const images = await Promise.all(FILES.map(async (f) => decodeImageFile(await readFixture(f), f)));
  const extractor = await wasmEngine().load(twin);
  expected = (await embedImages(extractor, images)).embeddings;
  extractor.dispose();
});

async function dataset(dbName: string): Promise<string> {
  const store = new DatasetStore(await openReefDb(dbName));
  const d = await store.createDataset('pets');
  const cat = await store.addClass(d.id, 'cat');
  const other = await store.addClass(d.id, 'other');
  for (const [i, f] of FILES.entries())
    await store.addSample(d.id, {
      classId: i < 2 ? cat.id : other.id,
      image: new Blob([(await readFixture(f)).buffer as ArrayBuffer], { type: 'image/bmp' }),
      source: 'file',
    });
  return d.id;
}

/** One virtual Coral with firmware, the extractor registered, behind a granted WebUSB. */
async function setup() {
  const inner = new EmulatedUsb();
  const coral = new VirtualCoral({ usb: inner, reenumerateMs: 5, firmwareLoaded: true });
  coral.registerModel(COMPILED, compiled, await twinCompute(compiled, twin));
  const usb = new PermissionedUsb(inner, [coral], 'carry-over');
  await usb.requestDevice({ filters: [{ vendorId: 0x18d1, productId: 0x9302 }] });
  const pool = new DevicePool(usb);
  await pool.refresh();
  const engines = new TpuEngines(pool, new WorkerEngines(() => cpuEngine()), () => new LiteRtRuntime(nodeLiteRtLoader));
  const dbName = `embed-${Math.random()}`;
  const jobs = new EmbeddingJobs(engines, {
    dbName,
    decode: async (blob) => decodeImageFile(new Uint8Array(await blob.arrayBuffer())),
  });
  return { coral, pool, jobs, datasetId: await dataset(dbName) };
}

describe('embedding a dataset in the accelerator worker', () => {
  it('runs the compiled extractor on usb:0, then reads the cache only for the same extractor and engine', async () => {
    const { coral, pool, jobs, datasetId } = await setup();
    const progress: EmbedProgress[] = [];
    const request = { datasetId, extractor: compiled, cpuTwin: twin, engine: 'usb:0' };
    const first = await jobs.embedDataset(request, (p) => progress.push(p));
    expect(first).toMatchObject({ engine: 'edgetpu', label: 'edgetpu · usb:0', computed: 4, cached: 0, dim: 1024 });
    expect(first.notice).toBeUndefined();
    expect(first.perSecond).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ done: 4, total: 4, on: 'edgetpu · usb:0' });
    expect(coral.violations).toEqual([]);
    expect(first.embeddings).toEqual(expected);

    const again = await jobs.embedDataset(request);
    expect(again).toMatchObject({ engine: 'edgetpu', computed: 0, cached: 4 });
    // WASM embeddings are a different kind: none of the TPU's cached vectors are reused.
    const onWasm = await jobs.embedDataset({ ...request, engine: 'wasm' });
    expect(onWasm).toMatchObject({ engine: 'wasm', label: 'wasm · cpu', computed: 4, cached: 0 });
    expect(onWasm.embeddings).toEqual(expected);
    await pool.close();
  });

  it('an unplug mid-run embeds every sample on WASM, says so, and never mixes kinds', async () => {
    const { coral, pool, jobs, datasetId } = await setup();
    const progress: EmbedProgress[] = [];
    const result = await jobs.embedDataset({ datasetId, extractor: compiled, cpuTwin: twin, engine: 'usb:0' }, (p) => {
      progress.push(p);
      if (p.on.startsWith('edgetpu') && p.done === 2) coral.unplug();
    });
    expect(progress.filter((p) => p.on.startsWith('edgetpu')).map((p) => p.done)).toEqual([1, 2]);
    expect(result).toMatchObject({ engine: 'wasm', label: 'wasm · cpu', computed: 4, cached: 0 });
    expect(result.notice).toContain('usb:0 went away while embedding, so every sample was embedded on WASM');
    expect(result.embeddings).toEqual(expected);
    await pool.close();
  });

  it('a Coral pulled out after the page saw it ready, before the job loaded: the run goes on in WASM and says so', async () => {
    const { coral, pool, jobs, datasetId } = await setup();
    coral.unplug();
    const progress: EmbedProgress[] = [];
    const result = await jobs.embedDataset({ datasetId, extractor: compiled, cpuTwin: twin, engine: 'usb:0' }, (p) =>
      progress.push(p),
    );
    expect(progress.every((p) => p.on === 'wasm · cpu')).toBe(true);
    expect(result).toMatchObject({ engine: 'wasm', label: 'wasm · cpu', computed: 4, cached: 0 });
    expect(result.notice).toContain('usb:0 went away before embedding started, so every sample was embedded on WASM');
    expect(result.embeddings).toEqual(expected);
    // Anything else that stops the load is still the job's error, not a quiet change of engine.
    await expect(
      jobs.embedDataset({ datasetId, extractor: compiled, cpuTwin: twin, engine: 'usb:7x' }),
    ).rejects.toMatchObject({ reason: 'unknown-engine' });
    await pool.close();
  });
});
