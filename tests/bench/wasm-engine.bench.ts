/**
 * CPU inference in one Chromium run on the same inputs: Reef's WASM engine through the accelerator
 * worker (what the app does: comlink call, transfer in and out, partitioner, LiteRT bindings) vs
 * raw LiteRT.js threaded on the page vs tfjs-tflite with 2 threads, for MobileNet v1 224 (embedding
 * extractor), MobileNet v1 0.25/128, MoveNet Lightning and DeepLab v3. Medians of timed runs after
 * warm-up. (The Node CLI's wall times are in cli.bench.ts.)
 * Uses the e2e harness page (tests/e2e/support/engine-harness.ts) beside the built app.
 */
import { execSync, spawn } from 'node:child_process';
import { chromium } from '@playwright/test';
import { narrowArgMaxOutputs } from '../../src/lib/runtime/arg-max-narrowing.ts';
import { readModel, writeModel } from '../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import { openHarness } from '../e2e/support/engine-harness.ts';

const root = new URL('../../', import.meta.url).pathname;
const PORT = 4187;
const WARMUP = 5;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 40);
const MODELS: FixtureName[] = [
  'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
  'mobilenet_v1_0.25_128_quant.tflite',
  'movenet_single_pose_lightning_ptq.tflite',
  'deeplabv3_mnv2_dm05_pascal_quant.tflite',
];

interface Timing {
  median: number;
  min: number;
}

execSync('npx vite build --logLevel error', { cwd: root, stdio: 'inherit' });
const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], {
  cwd: root,
  stdio: 'ignore',
  detached: true,
});
try {
  await waitForServer(`http://localhost:${PORT}/`);
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-features=WebAssemblyJSPromiseIntegration'],
  });
  const page = await (await browser.newContext({ baseURL: `http://localhost:${PORT}` })).newPage();
  await openHarness(page);
  const env = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  console.log(
    `Chromium ${browser.version()}, cross-origin isolated: ${env.isolated}, ${env.cores} cores, ${RUNS} runs`,
  );
  // The worker round trip alone: a comlink call that does nothing (version()), page to worker and back.
  const roundTrip = await page.evaluate(async () => {
    const w = window as unknown as { reef(method: string): Promise<unknown> };
    for (let i = 0; i < 50; i++) await w.reef('version');
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await w.reef('version');
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[150]!;
  });
  console.log(
    `worker round trip (empty call): ${roundTrip.toFixed(3)} ms median; goal <= 0.1 ms: ${(roundTrip / 0.1).toFixed(2)}x`,
  );
  console.log('model'.padEnd(56), 'reef worker', '  raw LiteRT', ' tfjs-tflite', '  reef/raw', ' reef/tfjs');
  for (const name of MODELS) {
    const result = await page.evaluate(
      async ({ name, warmup, runs, rawModel }) => {
        const w = window as unknown as {
          reef(method: string, args?: unknown[], transfer?: Transferable[]): Promise<unknown>;
          fixture(name: string): Promise<Uint8Array>;
          pattern(dtype: string, n: number): Uint8Array | Float32Array;
          litert: {
            loadLiteRt(dir: string, options: object): Promise<unknown>;
            getGlobalLiteRtPromise(): Promise<unknown> | undefined;
            loadAndCompile(
              bytes: Uint8Array,
              options: object,
            ): Promise<{
              run(input: unknown): Promise<{ toTypedArray(): unknown; delete(): void }[]>;
              getInputDetails(): { shape: Int32Array; dtype: string }[];
            }>;
            Tensor: new (data: Uint8Array | Float32Array, shape: number[]) => { delete(): void };
          };
          tflite: {
            setWasmPath(path: string): void;
            loadTFLiteModel(model: ArrayBuffer, options: object): Promise<{ predict(input: unknown): unknown }>;
          };
          tf: { tensor(values: ArrayLike<number>, shape: number[], dtype: string): { dispose(): void } };
        };
        const stats = (times: number[]) => {
          const s = [...times].sort((a, b) => a - b);
          return { median: s[s.length >> 1]!, min: s[0]! };
        };
        const time = async (fn: () => Promise<void>) => {
          for (let i = 0; i < warmup; i++) await fn();
          const times: number[] = [];
          for (let i = 0; i < runs; i++) {
            const t = performance.now();
            await fn();
            times.push(performance.now() - t);
          }
          return stats(times);
        };
        const bytes = await w.fixture(name);
        // Reef: the accelerator worker, one call per inference, input transferred each time.
        const info = (await w.reef('loadModel', [bytes.slice()])) as {
          id: string;
          inputs: { dtype: string; shape: number[] }[];
          runtime: { variant: string; threads: number };
        };
        const shape = info.inputs[0]!.shape;
        const n = shape.reduce((a, b) => a * b, 1);
        const dtype = info.inputs[0]!.dtype;
        // The engine's own time (RunResult.ms, measured in the worker): the rest is messaging.
        const engineMs: number[] = [];
        const reefRun = async () => {
          const input = w.pattern(dtype, n);
          const r = (await w.reef('runModel', [info.id, [input]], [input.buffer])) as { ms: number };
          engineMs.push(r.ms);
        };
        // Raw LiteRT.js, threaded, on the page: tensor in, run, typed array out, delete.
        if (!w.litert.getGlobalLiteRtPromise()) await w.litert.loadLiteRt('/litert/', { threads: true });
        let rawRun: (() => Promise<void>) | string;
        try {
          const raw = await w.litert.loadAndCompile(rawModel ? new Uint8Array(rawModel) : bytes.slice(), {
            accelerator: 'wasm',
          });
          rawRun = async () => {
            const input = new w.litert.Tensor(w.pattern(dtype, n), shape);
            const outs = await raw.run([input]);
            for (const o of outs) {
              o.toTypedArray();
              o.delete();
            }
            input.delete();
          };
        } catch (e) {
          rawRun = `fails: ${String(e).slice(0, 60)}`;
        }
        // Both engines keep thread pools on the same 2 cores: alternate them run by run, so drift and
        // background load hit both alike.
        let reef: Timing;
        let rawTime: Timing | string;
        if (typeof rawRun === 'string') {
          reef = await time(reefRun);
          rawTime = rawRun;
        } else {
          const run = rawRun;
          for (let i = 0; i < warmup; i++) {
            await reefRun();
            await run();
          }
          const a: number[] = [];
          const b: number[] = [];
          for (let i = 0; i < runs; i++) {
            let t = performance.now();
            await reefRun();
            a.push(performance.now() - t);
            t = performance.now();
            await run();
            b.push(performance.now() - t);
          }
          reef = stats(a);
          rawTime = stats(b);
        }
        await w.reef('unloadModel', [info.id]);
        // tfjs-tflite with 2 threads.
        w.tflite.setWasmPath('/__harness/lib/tflite/');
        let tfl: Timing | string;
        try {
          const model = await w.tflite.loadTFLiteModel(bytes.slice().buffer, { numThreads: 2 });
          // One input tensor reused: tfjs needs int32 for uint8 models, and converting each time would
          // charge tfjs-tflite for a copy the others do not make.
          const input = w.tf.tensor(Array.from(w.pattern(dtype, n)), shape, dtype === 'float32' ? 'float32' : 'int32');
          tfl = await time(async () => {
            const out = model.predict(input) as
              { dataSync(): unknown; dispose(): void } | Record<string, { dataSync(): unknown; dispose(): void }>;
            const list = typeof (out as { dataSync?: unknown }).dataSync === 'function' ? [out] : Object.values(out);
            for (const o of list as { dataSync(): unknown; dispose(): void }[]) {
              o.dataSync();
              o.dispose();
            }
          });
          input.dispose();
        } catch (e) {
          tfl = `fails: ${String(e).slice(0, 60)}`;
        }
        return { reef, raw: rawTime, tfl, runtime: info.runtime, engine: stats(engineMs) };
      },
      { name, warmup: WARMUP, runs: RUNS, rawModel: await rawLiteRtModel(name) },
    );
    const fmt = (t: Timing | string) =>
      typeof t === 'string' ? 'n/a'.padStart(12) : `${t.median.toFixed(2)} ms`.padStart(12);
    const ratio = (a: Timing, b: Timing | string) =>
      typeof b === 'string' ? 'n/a' : `${(a.median / b.median).toFixed(2)}x`;
    console.log(
      name.padEnd(56),
      fmt(result.reef),
      fmt(result.raw),
      fmt(result.tfl),
      ratio(result.reef, result.raw).padStart(9),
      ratio(result.reef, result.tfl).padStart(9),
    );
    console.log(
      `  in the worker: engine run ${result.engine.median.toFixed(2)} ms median; call overhead ${(result.reef.median - result.engine.median).toFixed(2)} ms`,
    );
    if (typeof result.tfl === 'string') console.log(`  tfjs-tflite: ${result.tfl}`);
    if (typeof result.raw === 'string') console.log(`  raw LiteRT: ${result.raw}`);
    if (name.startsWith('deeplab'))
      console.log('  raw LiteRT runs DeepLab with its ARG_MAX, output as INT32 (its API cannot return INT64)');
    if (name === MODELS[0])
      console.log(`  (Reef worker runs LiteRT ${result.runtime.variant} with ${result.runtime.threads} threads)`);
  }
  console.log('goals: reef/raw <= 1.05x; reef/tfjs <= 1.0x on MobileNet 224 and <= 0.6x on MoveNet');
  await browser.close();
} finally {
  if (server.pid) process.kill(-server.pid);
}

/**
 * What raw LiteRT.js runs: the model itself, except DeepLab, whose INT64 ARG_MAX output its public
 * API rejects; it gets the same graph, ARG_MAX included, with that output made INT32 (the graph Reef
 * hands LiteRT; Reef then widens the class map to INT64 on top).
 */
async function rawLiteRtModel(name: FixtureName): Promise<number[] | null> {
  if (!name.startsWith('deeplab')) return null;
  const narrowed = narrowArgMaxOutputs(readModel(await readFixture(name)));
  if (!narrowed) throw new Error(`${name}: no INT64 ARG_MAX output to narrow`);
  return Array.from(writeModel(narrowed.model));
}

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}
