/**
 * CPU inference in one Chromium run on the same inputs: Reef's WASM engine through the accelerator
 * worker (what the app does: comlink call, transfer in and out, partitioner, LiteRT bindings) vs
 * raw LiteRT.js threaded on the page (its default thread count, and 1 thread for comparison) vs
 * raw LiteRT.js in a bare worker of its own (one message each way, input and outputs transferred,
 * no Reef code: what any engine kept off the page pays) vs tfjs-tflite with 2 threads, for MobileNet v1 224 (embedding extractor), MobileNet v1 0.25/128,
 * MoveNet Lightning and DeepLab v3. Medians of timed runs after warm-up, inputs made before timing.
 *
 * Reef and raw LiteRT are measured two ways, model by model, and both are printed:
 * - in blocks (the headline reef/raw): each engine runs a block of runs, blocks take turns, each
 *   after a 50 ms idle gap. This is how a person uses an engine, one at a time, and drift still hits
 *   every engine alike.
 * - run by run in turn: each run starts right after the other engine's, while that engine's LiteRT
 *   pool threads may still be spinning on the 2 cores, so each pays for the other's threads, a
 *   cost neither has when used alone (and one that depends on the other's thread count).
 * tfjs-tflite after them all: its threads keep a core busy for a while after its last run
 * (0.25/128 measured right after it: 1.9 ms of call overhead instead of 0.2).
 * Reef/bare splits Reef/raw in two: bare/raw is what running in a worker costs on this machine (the
 * hops and LiteRT itself running slower off the main thread), reef/bare what Reef's code adds.
 * Per model it also prints the thread count Reef runs it with, the engine's own time in the worker, what the call adds to it, and an empty call back to back and
 * right after a run. (The Node CLI's wall times are in cli.bench.ts.)
 * Uses the e2e harness page (tests/e2e/support/engine-harness.ts) beside the built app.
 */
import { narrowArgMaxOutputs } from '../../src/lib/runtime/arg-max-narrowing.ts';
import { readModel, writeModel } from '../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import { openHarness } from '../e2e/support/engine-harness.ts';
import { launchChromium, withBuiltApp } from './support/browser.ts';

const PORT = 4187;
const WARMUP = 5;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 40);
/** Idle time before each block of runs: the previous engine's spinning pool threads go to sleep. */
const GAP_MS = 50;
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

/** Reef through the worker against raw LiteRT.js on the page, one model, measured one way. */
interface Pair {
  reef: Timing;
  raw: Timing | string;
  /** Raw LiteRT.js in a bare worker (the harness's BARE_WORKER): the same hops as Reef, no Reef code. */
  bare: Timing | string;
  /** The engine's own time in the worker (RunResult.ms) in these runs. */
  engine: Timing;
}

interface ReefVsRaw {
  /** Each engine in blocks of runs, blocks taking turns with an idle gap: how a person uses one. */
  blocks: Pair;
  /** Run by run in turn: each run comes right after the other engine's. */
  inTurn: Pair;
  /** Raw LiteRT.js compiled with 1 thread, in the blocks. */
  raw1: Timing | string;
  /** LiteRT's own time in the bare worker (measured there), in the blocks. */
  bareEngine: Timing | undefined;
  /** An empty call sent the moment a run came back. */
  afterRun: Timing;
  /** Empty calls back to back, after an idle gap. */
  backToBack: Timing;
  runs: number;
  blockRuns: number;
  runtime: {
    variant: string;
    threads: number;
  };
  loadMs: number;
}

await withBuiltApp(PORT, async (origin) => {
  const browser = await launchChromium();
  const page = await (await browser.newContext({ baseURL: origin })).newPage();
  await openHarness(page);
  const env = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  console.log(
    `Chromium ${browser.version()}, cross-origin isolated: ${env.isolated}, ${env.cores} cores, at least ${RUNS} runs a model and way`,
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
    `worker round trip (empty call, back to back): ${roundTrip.toFixed(3)} ms median; goal <= 0.1 ms: ${(roundTrip / 0.1).toFixed(2)}x`,
  );
  const reefVsRaw = new Map<FixtureName, ReefVsRaw>();
  for (const name of MODELS) {
    reefVsRaw.set(
      name,
      await page.evaluate(
        async ({ name, warmup, minRuns, gapMs, rawModel }): Promise<ReefVsRaw> => {
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
                delete(): void;
              }>;
              Tensor: new (data: Uint8Array | Float32Array, shape: number[]) => { delete(): void };
            };
          };
          const stats = (times: number[]) => {
            const s = [...times].sort((a, b) => a - b);
            return { median: s[s.length >> 1]!, min: s[0]! };
          };
          const idle = () => new Promise((resolve) => setTimeout(resolve, gapMs));
          const bytes = await w.fixture(name);
          // Reef: the accelerator worker, one call per inference, input transferred each time.
          const loadStart = performance.now();
          const info = (await w.reef('loadModel', [bytes.slice()])) as {
            id: string;
            inputs: { dtype: string; shape: number[] }[];
            runtime: ReefVsRaw['runtime'];
          };
          const loadMs = performance.now() - loadStart;
          const shape = info.inputs[0]!.shape;
          const n = shape.reduce((a, b) => a * b, 1);
          // Inputs are made before timing starts, for both: filling a 224×224×3 pattern costs about as
          // much as a small model's whole run. Reef transfers each input away: one copy per call.
          const pattern = w.pattern(info.inputs[0]!.dtype, n);
          const copies: (Uint8Array | Float32Array)[] = [];
          // The engine's own time (RunResult.ms, measured in the worker): the rest is messaging.
          let engineMs: number[] = [];
          const reefRun = async () => {
            const input = copies.pop() ?? pattern.slice();
            const r = (await w.reef('runModel', [info.id, [input]], [input.buffer])) as { ms: number };
            engineMs.push(r.ms);
          };
          // Raw LiteRT.js, threaded, on the page: tensor in, run, typed array out, delete. Its
          // default thread count (all cores), and 1 thread for comparison.
          if (!w.litert.getGlobalLiteRtPromise()) await w.litert.loadLiteRt('/litert/', { threads: true });
          const compileRaw = async (threads?: number) => {
            try {
              return await w.litert.loadAndCompile(rawModel ? new Uint8Array(rawModel) : bytes.slice(), {
                accelerator: 'wasm',
                ...(threads ? { cpuOptions: { numThreads: threads } } : {}),
              });
            } catch (e) {
              return `fails: ${String(e).slice(0, 60)}`;
            }
          };
          const raw = await compileRaw();
          const raw1 = await compileRaw(1);
          // Raw LiteRT.js in a worker of its own with the least messaging there is, all cores.
          const bareWorker = (w as unknown as { bareWorker(): BareWorker }).bareWorker();
          type BareWorker = {
            init(): Promise<unknown>;
            load(bytes: Uint8Array, shape: number[]): Promise<unknown>;
            run(input: Uint8Array | Float32Array): Promise<{ ms: number }>;
            terminate(): void;
          };
          const bareEngineMs: number[] = [];
          let bare: BareWorker | string = bareWorker;
          try {
            await bareWorker.init();
            await bareWorker.load(rawModel ? new Uint8Array(rawModel) : bytes.slice(), shape);
          } catch (e) {
            bare = `fails: ${String(e).slice(0, 60)}`;
          }
          const bareRun = async () => {
            if (typeof bare === 'string') return;
            const input = copies.pop() ?? pattern.slice();
            bareEngineMs.push((await bare.run(input)).ms);
          };
          const rawRunOf = (model: typeof raw) => async () => {
            if (typeof model === 'string') return;
            const input = new w.litert.Tensor(pattern, shape);
            const outs = await model.run([input]);
            for (const o of outs) {
              o.toTypedArray();
              o.delete();
            }
            input.delete();
          };
          const rawRun = rawRunOf(raw);
          const raw1Run = rawRunOf(raw1);
          // A 1 ms model gets more runs than a 40 ms one (about 1.5 s of runs each): a median of 40
          // runs of 1 ms moves with every hiccup of a shared machine.
          let fastest = Infinity;
          for (let i = 0; i < warmup; i++) {
            const t = performance.now();
            await reefRun();
            fastest = Math.min(fastest, performance.now() - t);
            await rawRun();
            await raw1Run();
            await bareRun();
          }
          const runs = Math.min(1000, Math.max(minRuns, Math.ceil(1500 / fastest)));
          // Blocks of about 150 ms of runs (5 to 50 runs): long enough that a block is one engine
          // running, short enough that many blocks take turns and drift hits every engine alike.
          const blockRuns = Math.min(50, Math.max(5, Math.ceil(150 / fastest)));
          for (let i = 0; i < 3 * runs + 2 * blockRuns + 30; i++) copies.push(pattern.slice());
          const timed = async (run: () => Promise<void>, into: number[]) => {
            const t = performance.now();
            await run();
            into.push(performance.now() - t);
          };

          // Run by run in turn, as this benchmark used to measure: each engine's run starts right
          // after the other's, while the other's pool threads may still be spinning.
          engineMs = [];
          const a: number[] = [];
          const b: number[] = [];
          for (let i = 0; i < runs; i++) {
            await timed(reefRun, a);
            if (typeof raw !== 'string') await timed(rawRun, b);
          }
          const inTurn = {
            reef: stats(a),
            raw: typeof raw === 'string' ? raw : stats(b),
            bare: 'not measured in turn',
            engine: stats(engineMs),
          };

          // In blocks: Reef, raw, raw with 1 thread, each after an idle gap that lets the previous
          // engine's threads settle, until each has `runs` runs.
          engineMs = [];
          const blockTimes = { reef: [] as number[], raw: [] as number[], raw1: [] as number[], bare: [] as number[] };
          bareEngineMs.length = 0;
          while (blockTimes.reef.length < runs) {
            await idle();
            for (let i = 0; i < blockRuns; i++) await timed(reefRun, blockTimes.reef);
            if (typeof raw !== 'string') {
              await idle();
              for (let i = 0; i < blockRuns; i++) await timed(rawRun, blockTimes.raw);
            }
            if (typeof raw1 !== 'string') {
              await idle();
              for (let i = 0; i < blockRuns; i++) await timed(raw1Run, blockTimes.raw1);
            }
            if (typeof bare !== 'string') {
              await idle();
              for (let i = 0; i < blockRuns; i++) await timed(bareRun, blockTimes.bare);
            }
          }
          const blocks = {
            reef: stats(blockTimes.reef),
            raw: typeof raw === 'string' ? raw : stats(blockTimes.raw),
            bare: typeof bare === 'string' ? bare : stats(blockTimes.bare),
            engine: stats(engineMs),
          };
          const bareEngine = bareEngineMs.length ? stats(bareEngineMs) : undefined;

          // The empty call again, sent the moment a run came back: the threads it wakes have just
          // been idle (the page) or busy (the worker) for a whole run, as in a run call.
          await idle();
          const afterRun: number[] = [];
          for (let i = 0; i < 30; i++) {
            await reefRun();
            const t = performance.now();
            await w.reef('version');
            afterRun.push(performance.now() - t);
          }
          // And back to back, once the runs' threads had time to settle.
          await idle();
          const backToBack: number[] = [];
          for (let i = 0; i < 100; i++) await timed(() => w.reef('version') as Promise<void>, backToBack);
          await w.reef('unloadModel', [info.id]);
          if (typeof raw !== 'string') raw.delete();
          if (typeof raw1 !== 'string') raw1.delete();
          bareWorker.terminate();
          return {
            bareEngine,
            blocks,
            inTurn,
            raw1: typeof raw1 === 'string' ? raw1 : stats(blockTimes.raw1),
            afterRun: stats(afterRun),
            backToBack: stats(backToBack),
            runs,
            blockRuns,
            runtime: info.runtime,
            loadMs,
          };
        },
        { name, warmup: WARMUP, minRuns: RUNS, gapMs: GAP_MS, rawModel: await rawLiteRtModel(name) },
      ),
    );
  }
  // tfjs-tflite with 2 threads, after Reef and raw LiteRT are done with every model.
  const tfjs = new Map<FixtureName, Timing | string>();
  for (const name of MODELS) {
    tfjs.set(
      name,
      await page.evaluate(
        async ({ name, warmup, runs }): Promise<Timing | string> => {
          const w = window as unknown as {
            fixture(name: string): Promise<Uint8Array>;
            pattern(dtype: string, n: number): Uint8Array | Float32Array;
            tflite: {
              setWasmPath(path: string): void;
              loadTFLiteModel(
                model: ArrayBuffer,
                options: object,
              ): Promise<{ predict(input: unknown): unknown; inputs: { shape: number[]; dtype: string }[] }>;
            };
            tf: { tensor(values: ArrayLike<number>, shape: number[], dtype: string): { dispose(): void } };
          };
          w.tflite.setWasmPath('/__harness/lib/tflite/');
          try {
            const model = await w.tflite.loadTFLiteModel((await w.fixture(name)).buffer as ArrayBuffer, {
              numThreads: 2,
            });
            const { shape, dtype } = model.inputs[0]!;
            const pattern = w.pattern(
              dtype === 'float32' ? 'float32' : 'uint8',
              shape.reduce((a, b) => a * b, 1),
            );
            // One input tensor reused: tfjs needs int32 for uint8 models, and converting each time
            // would charge tfjs-tflite for a copy the others do not make.
            const input = w.tf.tensor(Array.from(pattern), shape, dtype === 'float32' ? 'float32' : 'int32');
            const predict = () => {
              const out = model.predict(input) as
                { dataSync(): unknown; dispose(): void } | Record<string, { dataSync(): unknown; dispose(): void }>;
              const list = typeof (out as { dataSync?: unknown }).dataSync === 'function' ? [out] : Object.values(out);
              for (const o of list as { dataSync(): unknown; dispose(): void }[]) {
                o.dataSync();
                o.dispose();
              }
            };
            for (let i = 0; i < warmup; i++) predict();
            const times: number[] = [];
            for (let i = 0; i < runs; i++) {
              const t = performance.now();
              predict();
              times.push(performance.now() - t);
            }
            input.dispose();
            const s = times.sort((x, y) => x - y);
            return { median: s[s.length >> 1]!, min: s[0]! };
          } catch (e) {
            return `fails: ${String(e).slice(0, 60)}`;
          }
        },
        { name, warmup: WARMUP, runs: RUNS },
      ),
    );
  }
  const fmt = (t: Timing | string) =>
    typeof t === 'string' ? 'n/a'.padStart(12) : `${t.median.toFixed(2)} ms`.padStart(12);
  const ratio = (a: Timing, b: Timing | string) =>
    typeof b === 'string' ? 'n/a' : `${(a.median / b.median).toFixed(2)}x`;
  const ms = (t: Timing) => `${t.median.toFixed(3)} ms`;
  console.log(
    'model'.padEnd(56),
    'reef worker',
    '  raw LiteRT',
    ' bare worker',
    ' tfjs-tflite',
    '  reef/raw',
    ' reef/bare',
    ' reef/tfjs',
  );
  for (const name of MODELS) {
    const result = reefVsRaw.get(name)!;
    const { blocks, inTurn } = result;
    const tfl = tfjs.get(name)!;
    console.log(
      name.padEnd(56),
      fmt(blocks.reef),
      fmt(blocks.raw),
      fmt(blocks.bare),
      fmt(tfl),
      ratio(blocks.reef, blocks.raw).padStart(9),
      ratio(blocks.reef, blocks.bare).padStart(9),
      ratio(blocks.reef, tfl).padStart(9),
    );
    console.log(`  threads: Reef runs it with ${result.runtime.threads} (LiteRT ${result.runtime.variant})`);
    // What the worker adds on top of its engine: page → worker → page with the input and outputs.
    const overhead = blocks.reef.median - blocks.engine.median;
    console.log(
      `  ${result.runs} runs each, blocks of ${result.blockRuns}; in the worker: engine run ${ms(blocks.engine)}` +
        (typeof blocks.raw === 'string' ? '' : ` (${ratio(blocks.engine, blocks.raw)} raw)`) +
        `; call overhead ${overhead.toFixed(3)} ms, goal <= 0.1 ms: ${(overhead / 0.1).toFixed(2)}x`,
    );
    console.log(
      `  empty call: back to back ${ms(result.backToBack)}, right after a run ${ms(result.afterRun)}` +
        `; raw LiteRT with 1 thread ${fmt(result.raw1).trim()} (reef/raw-1-thread ${ratio(blocks.reef, result.raw1)})`,
    );
    console.log(
      `  run by run in turn: reef ${fmt(inTurn.reef).trim()} (engine ${ms(inTurn.engine)}), raw ${fmt(inTurn.raw).trim()}` +
        `: reef/raw ${ratio(inTurn.reef, inTurn.raw)}`,
    );
    if (typeof blocks.bare === 'string') console.log(`  bare worker: ${blocks.bare}`);
    else
      console.log(
        `  bare worker (raw LiteRT.js in a worker of its own, one message each way, no Reef code): ` +
          `${fmt(blocks.bare).trim()}, LiteRT in it ${result.bareEngine ? ms(result.bareEngine) : 'n/a'}` +
          `; bare/raw ${ratio(blocks.bare, blocks.raw)} (what a worker costs here), ` +
          `reef/bare ${ratio(blocks.reef, blocks.bare)} (what Reef's code adds)`,
      );
    if (typeof tfl === 'string') console.log(`  tfjs-tflite: ${tfl}`);
    if (typeof blocks.raw === 'string') console.log(`  raw LiteRT: ${blocks.raw}`);
    if (name.startsWith('deeplab'))
      console.log('  raw LiteRT runs DeepLab with its ARG_MAX, output as INT32 (its API cannot return INT64)');
  }
  console.log('goals: reef/raw <= 1.05x; reef/tfjs <= 1.0x on MobileNet 224 and <= 0.6x on MoveNet');
  await browser.close();
});

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
