/**
 * Training-studio figures in Node, each with a ratio against a baseline measured in the same run:
 * 1. Embeddings/s of a stored dataset through the accelerator worker's embedder (EmbeddingJobs):
 *    the compiled extractor on the VIRTUAL Coral (emulator latency model: REEF_BENCH_TPU_MS per
 *    inference, default 3 ms, plus the twin's own compute on this CPU — NOT a hardware figure)
 *    against the WASM twin on the same samples.
 * 2. Imprinting preview: time from the 100th recorded sample (its embedding included) to the first
 *    live prediction on a camera frame (goal ≤ 300 ms), against one raw extractor run.
 */
import 'fake-indexeddb/auto';
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { DevicePool } from '../../src/lib/edgetpu/index.ts';
import { augmentMany } from '../../src/lib/learn/index.ts';
import { LiteRtRuntime } from '../../src/lib/runtime/index.ts';
import { DatasetStore, openReefDb } from '../../src/lib/store/index.ts';
import { decodeBmp, imageToTensor, type RgbaImage } from '../../src/lib/tasks/index.ts';
import { EmbeddingJobs } from '../../src/worker/embedding-jobs.ts';
import { WorkerEngines } from '../../src/worker/engines.ts';
import { ImprintPreviewJobs } from '../../src/worker/imprint-preview-jobs.ts';
import { TpuEngines } from '../../src/worker/tpu-engines.ts';
import { twinCompute } from '../emulator/node-twin.ts';
import { VirtualCoral } from '../emulator/virtual-coral.ts';
import { readFixture } from '../support/fixtures.ts';
import { cpuEngine } from '../unit/runtime/support.ts';

const COMPILED = 'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite';
const TWIN = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const PER_INFERENCE_MS = Number(process.env['REEF_BENCH_TPU_MS'] ?? 3);
const SAMPLES = 20;
const PREVIEW_SAMPLES = 100;

const compiled = await readFixture(COMPILED);
const twin = await readFixture(TWIN);
const cat = decodeBmp(await readFixture('cat.bmp'));
const bird = decodeBmp(await readFixture('bird.bmp'));

function engines(pool: DevicePool | undefined): TpuEngines {
  return new TpuEngines(pool, new WorkerEngines(() => cpuEngine()), () => new LiteRtRuntime(nodeLiteRtLoader));
}

// 1. Embeddings/s: TPU path (virtual Coral) vs WASM twin ------------------------------------------
async function embeddingsPerSecond(): Promise<void> {
  const coral = new VirtualCoral({
    firmwareLoaded: true,
    latency: { perTransferMs: 0, perByteMs: 0, perInferenceMs: PER_INFERENCE_MS },
  });
  coral.registerModel(COMPILED, compiled, await twinCompute(compiled, twin));
  const pool = new DevicePool(coral.usb);
  await pool.refresh();
  const dbName = 'bench-embed';
  const store = new DatasetStore(await openReefDb(dbName));
  const d = await store.createDataset('bench');
  const classes = [await store.addClass(d.id, 'cat'), await store.addClass(d.id, 'bird')];
  const images = [...augmentMany(cat, SAMPLES / 2, 224, 224, 1), ...augmentMany(bird, SAMPLES / 2, 224, 224, 2)];
  // Each sample's Blob is a 4-byte tag of its decoded image: decoding is the same on both paths,
  // so it is kept out of the figure.
  const byTag = new Map<string, RgbaImage>();
  for (const [i, image] of images.entries()) {
    const tag = new Uint8Array([0x42, 0x4d, i & 255, i >> 8]);
    byTag.set(tag.join(), image);
    const blob = new Blob([tag], { type: 'image/bmp' });
    await store.addSample(d.id, { classId: classes[i < SAMPLES / 2 ? 0 : 1]!.id, image: blob, source: 'file' });
  }
  const jobs = new EmbeddingJobs(engines(pool), {
    dbName,
    decode: async (blob) => byTag.get(new Uint8Array(await blob.arrayBuffer()).join())!,
  });
  const request = { datasetId: d.id, extractor: compiled, cpuTwin: twin };
  // Warm-up on throwaway datasets would fill the cache: each engine runs once, cache empty for it.
  const tpu = await jobs.embedDataset({ ...request, engine: 'usb:0' });
  const wasm = await jobs.embedDataset({ ...request, engine: 'wasm' });
  if (tpu.engine !== 'edgetpu' || wasm.engine !== 'wasm' || tpu.computed !== SAMPLES || wasm.computed !== SAMPLES)
    throw new Error('unexpected embedding engines or cache hits');
  if (coral.violations.length) throw new Error(`protocol violations: ${coral.violations.join('; ')}`);
  console.log(
    `Embeddings through the accelerator worker's embedder, ${SAMPLES} samples (VIRTUAL Coral, emulator latency model ${PER_INFERENCE_MS} ms/inference + twin compute on this CPU; not a hardware figure):`,
  );
  console.log(`  TPU path (${tpu.label})  ${tpu.perSecond.toFixed(1)} embeddings/s`);
  console.log(`  WASM twin (${wasm.label})  ${wasm.perSecond.toFixed(1)} embeddings/s`);
  console.log(`  ratio TPU path / WASM twin: ${(tpu.perSecond / wasm.perSecond).toFixed(2)}x`);
  await pool.close();
}

// 2. Imprinting preview: last sample → first live prediction ----------------------------------------
async function imprintingLatency(): Promise<void> {
  const e = engines(undefined);
  const jobs = new ImprintPreviewJobs(e);
  await jobs.open({ extractor: twin, cpuTwin: twin, engine: 'wasm' });
  const samples = [
    ...augmentMany(cat, PREVIEW_SAMPLES / 2, 224, 224, 3),
    ...augmentMany(bird, PREVIEW_SAMPLES / 2, 224, 224, 4),
  ];
  const frame = augmentMany(cat, 1, 224, 224, 9)[0]!;
  for (let i = 0; i < samples.length - 1; i++) await jobs.add(i < PREVIEW_SAMPLES / 2 ? 0 : 1, samples[i]!);
  const t = performance.now();
  await jobs.add(1, samples.at(-1)!);
  const prediction = await jobs.predict(frame);
  const ms = performance.now() - t;
  if (prediction?.label !== 0) throw new Error('the preview got the cat frame wrong');
  // Baseline: one raw run of the extractor on prepared input (what any prediction costs at least).
  const model = await e.load(twin, { engine: 'wasm' });
  const input = imageToTensor(frame, model.inputs[0]!).data;
  await e.run(model.id, [input]);
  const r = performance.now();
  await e.run(model.id, [input]);
  const rawMs = performance.now() - r;
  console.log(
    `Imprinting preview (WASM twin, Node): ${PREVIEW_SAMPLES}th sample → first live prediction ${ms.toFixed(0)} ms (goal ≤ 300 ms: ${(ms / 300).toFixed(2)}x; ${(ms / rawMs).toFixed(1)}x one raw extractor run of ${rawMs.toFixed(0)} ms)`,
  );
  jobs.close();
}

await embeddingsPerSecond();
await imprintingLatency();
