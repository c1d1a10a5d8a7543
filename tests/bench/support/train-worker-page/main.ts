// The page of tests/bench/train-worker.bench.ts: stores a dataset of N samples in IndexedDB (as
// the Train page does), then trains through Reef's own training worker (src/worker/training.worker.ts,
// the one the app starts) with precomputed N × 1024 embeddings, as the accelerator worker hands
// them over, and times its stages from the events it sends. The baseline is a plain tfjs fit of
// the same head on the same data in a second worker on the same backend (baseline.worker.ts).
import { proxy, wrap } from 'comlink';
import { seededRandom } from '../../../../src/lib/learn/dataset.ts';
import { DatasetStore, openReefDb } from '../../../../src/lib/store/index.ts';
import type { TrainingApi, TrainingEvent } from '../../../../src/worker/training-api.ts';
import { installTransferHandlers } from '../../../../src/worker/transfer-handlers.ts';
import type { BaselineApi, BaselineFit } from './baseline.worker.ts';

installTransferHandlers();

export interface BenchShape {
  n: number;
  dim: number;
  classes: number;
  epochs: number;
}

export interface WorkerRun {
  backend: string;
  /** trainTransfer called → answer back on the page. */
  totalMs: number;
  /** Reading the dataset until the training stage starts (samples are not decoded: embeddings are given). */
  beforeTrainingMs: number;
  /** The training stage: from its start to the quantizing stage (the head fit, with its per-epoch metrics). */
  trainingMs: number;
  /** Quantizing, composing onto the extractor and saving the tfjs head. */
  afterTrainingMs: number;
  epochsRun: number;
  trainAccuracy: number;
}

export interface BenchResult {
  warmUp: WorkerRun;
  run: WorkerRun;
  baseline: BaselineFit;
}

/** A 1×1 24-bit BMP: every sample must be a raster image; its pixels do not matter here. */
function tinyBmp(v: number): Blob {
  const b = new Uint8Array(58);
  const view = new DataView(b.buffer);
  b.set([0x42, 0x4d]);
  view.setUint32(2, 58, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, 1, true);
  view.setInt32(22, 1, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, 4, true);
  b.set([v, v, v], 54);
  return new Blob([b], { type: 'image/bmp' });
}

async function storeDataset(shape: BenchShape): Promise<{ datasetId: string; ids: string[]; labels: number[] }> {
  const store = new DatasetStore(await openReefDb());
  const dataset = await store.createDataset('bench');
  const classes: { id: string }[] = [];
  for (let c = 0; c < shape.classes; c++) classes.push(await store.addClass(dataset.id, `class ${c}`));
  await store.addSamples(
    dataset.id,
    Array.from({ length: shape.n }, (_, i) => ({
      classId: classes[i % shape.classes]!.id,
      image: tinyBmp(i & 255),
      source: 'file' as const,
    })),
  );
  // The worker reads samples in the snapshot's order: embeddings follow it.
  const snapshot = await store.snapshot(dataset.id);
  const index = new Map(classes.map((c, i) => [c.id, i]));
  return {
    datasetId: dataset.id,
    ids: snapshot.samples.map((s) => s.id),
    labels: snapshot.samples.map((s) => index.get(s.classId)!),
  };
}

/** Class centres plus noise, ReLU'd like a MobileNet embedding. */
function embeddingsFor(labels: number[], shape: BenchShape): Float32Array {
  const r = seededRandom(1);
  const centres = Array.from({ length: shape.classes }, () => Float32Array.from({ length: shape.dim }, () => r() * 3));
  const x = new Float32Array(labels.length * shape.dim);
  labels.forEach((label, i) => {
    for (let d = 0; d < shape.dim; d++) x[i * shape.dim + d] = Math.max(0, centres[label]![d]! + (r() - 0.5) * 4);
  });
  return x;
}

async function timedRun(
  api: ReturnType<typeof wrap<TrainingApi>>,
  request: Parameters<TrainingApi['trainTransfer']>[0],
): Promise<WorkerRun> {
  const marks = new Map<string, number>();
  let epochsRun = 0;
  const onEvent = (event: TrainingEvent) => {
    if (event.kind === 'stage') marks.set(event.stage, performance.now());
    if (event.kind === 'epoch') epochsRun = event.progress.epoch;
  };
  const t0 = performance.now();
  const out = await api.trainTransfer(request, proxy(onEvent));
  const end = performance.now();
  const training = marks.get('training')!;
  const quantizing = marks.get('quantizing')!;
  return {
    backend: out.backend,
    totalMs: end - t0,
    beforeTrainingMs: training - t0,
    trainingMs: quantizing - training,
    afterTrainingMs: end - quantizing,
    epochsRun,
    trainAccuracy: out.train.accuracy,
  };
}

async function runBench(shape: BenchShape, extractorUrl: string): Promise<BenchResult> {
  const { datasetId, ids, labels } = await storeDataset(shape);
  const embeddings = embeddingsFor(labels, shape);
  const extractor = new Uint8Array(await (await fetch(extractorUrl)).arrayBuffer());
  const worker = new Worker(new URL('../../../../src/worker/training.worker.ts', import.meta.url), { type: 'module' });
  const api = wrap<TrainingApi>(worker);
  // Every sample trains (no held-out split) so the fit is N × dim as the goal states.
  const request = (epochs: number) => ({
    datasetId,
    extractor,
    embeddings,
    embeddingIds: ids,
    method: 'backprop' as const,
    epochs,
    validationSplit: 0,
  });
  try {
    const warmUp = await timedRun(api, request(1));
    const run = await timedRun(api, request(shape.epochs));
    const baselineWorker = new Worker(new URL('./baseline.worker.ts', import.meta.url), { type: 'module' });
    try {
      const baseline = await wrap<BaselineApi>(baselineWorker).fit(
        run.backend as BaselineFit['backend'],
        embeddings,
        Int32Array.from(labels),
        shape,
      );
      return { warmUp, run, baseline };
    } finally {
      baselineWorker.terminate();
    }
  } finally {
    worker.terminate();
  }
}

(globalThis as unknown as { runBench: typeof runBench }).runBench = runBench;
