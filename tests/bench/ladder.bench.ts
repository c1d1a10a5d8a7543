/**
 * The engine ladder in Chromium with `--enable-unsafe-webgpu` (SwiftShader: a CPU emulation of a
 * GPU, so GPU figures here say nothing about real GPUs): each model on each available engine
 * through the real accelerator worker, the ladder's `auto` pick, the cost of its calibration
 * (first load in a fresh profile) and of the remembered choice (second load), as ratios against the
 * WASM engine measured in the same run, and what each engine's share of the calibration cost
 * (runtime start, load, warm-up, timed runs, why timing stopped). Goal: calibration ≤ 1 s per model
 * on this machine (printed as worst/goal), counted as what a load waits for: past 500 ms the
 * model runs on WASM and the rest is measured in the background (printed beside it, in all).
 * Uses the e2e harness page (tests/e2e/support/engine-harness.ts) beside the built app.
 */
import type { Page } from '@playwright/test';
import { readFixture, type FixtureName } from '../support/fixtures.ts';
import { openHarness } from '../e2e/support/engine-harness.ts';
import { floatClassifier, FLOAT_CLASSIFIER_NAME } from '../unit/runtime/ladder-models.ts';
import { launchChromium, withBuiltApp } from './support/browser.ts';
import { median, ratio } from './support/stats.ts';

const PORT = 4188;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const FIXTURE_MODELS: FixtureName[] = [
  'mobilenet_v1_0.25_128_quant.tflite',
  'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
  'movenet_single_pose_lightning_ptq.tflite',
];

interface EngineFigure {
  ok: boolean;
  medianMs?: number;
  loadMs: number;
  error?: string;
}
interface AutoFigure {
  loadMs: number;
  /** From the load call until the whole calibration settled (background included). */
  settledMs: number;
  /** The load's own answer: `calibrating` when the rest went on in the background. */
  firstHow: string;
  how: string;
  label: string;
  calibrationMs: number;
  figures: {
    label: string;
    medianMs: number;
    cost?: { startMs: number; loadMs: number; warmUpMs: number; timedRuns: number; timedMs: number; stop: string };
  }[];
  skipped: { reason: string }[];
}

/** Loads on `engine`, runs `runs` times after 3 warm-ups (or just loads for `auto`), unloads. */
async function measure(
  page: Page,
  bytes: Uint8Array,
  engine: string,
  runs: number,
): Promise<EngineFigure & Partial<AutoFigure>> {
  const figure: { times?: number[] } & Omit<EngineFigure, 'medianMs'> = await page.evaluate(
    async ({ model, engine, runs }) => {
      const w = window as unknown as {
        reef(method: string, args?: unknown[], transfer?: Transferable[]): Promise<unknown>;
        runOnPattern(id: string, inputs: { dtype: string; shape: number[] }[]): Promise<unknown>;
      };
      const bytes = new Uint8Array(model);
      const started = performance.now();
      let info: { id: string; inputs: { dtype: string; shape: number[] }[]; decision: Record<string, unknown> };
      try {
        info = (await w.reef('loadModel', [bytes, { engine }], [bytes.buffer])) as typeof info;
      } catch (error) {
        return { ok: false, loadMs: performance.now() - started, error: (error as Error).message };
      }
      const loadMs = performance.now() - started;
      // `auto` may hand the model out on WASM and finish measuring in the background: wait for that
      // end too (the figures and the pick are the settled ones; the wait is `loadMs`).
      let settledMs = loadMs;
      const firstHow = info.decision['how'] as string;
      if (engine === 'auto') {
        const settled = (await w.reef('modelSettled', [info.id])) as { decision: Record<string, unknown> } | undefined;
        settledMs = performance.now() - started;
        if (settled) info.decision = settled.decision;
      }
      const times: number[] = [];
      try {
        for (let i = 0; i < (engine === 'auto' ? 0 : runs + 3); i++) {
          const r = (await w.runOnPattern(info.id, info.inputs)) as { ms: number };
          if (i >= 3) times.push(r.ms);
        }
      } catch (error) {
        return { ok: false, loadMs, error: (error as Error).message };
      } finally {
        await w.reef('unloadModel', [info.id]);
      }
      return { ok: true, loadMs, settledMs, firstHow, times, ...(info.decision as object) };
    },
    { model: Array.from(bytes), engine, runs },
  );
  return { ...figure, ...(figure.times?.length ? { medianMs: median(figure.times) } : {}) } as EngineFigure &
    Partial<AutoFigure>;
}

await withBuiltApp(PORT, async (origin) => {
  const browser = await launchChromium({ webgpu: true });
  const models: [string, Uint8Array][] = [[FLOAT_CLASSIFIER_NAME, floatClassifier()]];
  for (const name of FIXTURE_MODELS) models.push([name, await readFixture(name)]);

  const first = await (await browser.newContext({ baseURL: origin })).newPage();
  await openHarness(first);
  const ladder = (await first.evaluate(() =>
    (window as unknown as { reef(m: string): Promise<unknown> }).reef('engineLadder'),
  )) as { engine: string; label: string; available: boolean; reason?: string }[];
  console.log(`Chromium ${browser.version()} (--enable-unsafe-webgpu: SwiftShader), ${RUNS} timed runs per engine`);
  for (const e of ladder)
    console.log(`  ${e.label.padEnd(18)} ${e.available ? 'available' : `unavailable: ${e.reason}`}`);
  const engines = ladder.filter((e) => e.available && e.engine !== 'edgetpu').map((e) => e.engine);
  console.log(
    '\nmodel'.padEnd(58),
    ...engines.map((e) => `${e} ms`.padStart(12)),
    ...engines.filter((e) => e !== 'wasm').map((e) => `${e}/wasm`.padStart(12)),
  );
  const medians = new Map<string, Map<string, number>>();
  for (const [name, bytes] of models) {
    const row = new Map<string, number>();
    const cells: string[] = [];
    for (const engine of engines) {
      const r = await measure(first, bytes, engine, RUNS);
      if (r.ok && r.medianMs !== undefined) row.set(engine, r.medianMs);
      cells.push((r.ok ? r.medianMs!.toFixed(2) : 'skipped').padStart(12));
      if (!r.ok) console.log(`  ${name} on ${engine} skipped: ${r.error}`);
    }
    const wasm = row.get('wasm');
    const ratios = engines
      .filter((e) => e !== 'wasm')
      .map((e) => (row.has(e) && wasm ? ratio(row.get(e)!, wasm) : '—').padStart(12));
    medians.set(name, row);
    console.log(name.padEnd(57), ...cells, ...ratios);
  }

  // `auto` in a fresh profile (nothing remembered): calibration; then in the same profile again: remembered.
  const fresh = await (await browser.newContext({ baseURL: origin })).newPage();
  await openHarness(fresh);
  console.log(
    '\nauto: model'.padEnd(58),
    'pick'.padEnd(20),
    'load waits',
    '  wait/1 s goal',
    ' measured in all',
    ' 2nd load',
    ' 2nd how',
  );
  const calibrations: number[] = [];
  const totals: number[] = [];
  for (const [name, bytes] of models) {
    const cold = await measure(fresh, bytes, 'auto', 0);
    const warm = await measure(fresh, bytes, 'auto', 0);
    const wasm = medians.get(name)?.get('wasm') ?? NaN;
    // What a person waits for: the load call, calibration included as far as it blocks.
    const waitMs = cold.loadMs;
    console.log(
      name.padEnd(57),
      (cold.label ?? '?').padEnd(20),
      `${Math.round(waitMs)} ms`.padStart(10),
      ratio(waitMs, 1000).padStart(15),
      `${Math.round(cold.calibrationMs ?? 0)} ms`.padStart(16),
      `${Math.round(warm.loadMs)} ms`.padStart(9),
      ` ${warm.how}`,
    );
    console.log(
      `  the load answered ${cold.firstHow === 'calibrating' ? 'on WASM while the rest was measured in the background' : `"${cold.firstHow}"`}; settled ${Math.round(cold.settledMs ?? 0)} ms after the call; calibration ${ratio(cold.calibrationMs ?? 0, wasm, 0)} a WASM run`,
    );
    for (const f of cold.figures ?? []) {
      const c = f.cost;
      console.log(
        `  measured: ${f.label} ${f.medianMs.toFixed(2)} ms`,
        c
          ? `(cost: runtime start ${Math.round(c.startMs)} ms, load ${Math.round(c.loadMs)} ms, warm-up ${Math.round(c.warmUpMs)} ms, ${c.timedRuns} timed runs ${Math.round(c.timedMs)} ms, stopped: ${c.stop})`
          : '',
      );
    }
    for (const s of cold.skipped ?? []) console.log(`  skipped: ${s.reason}`);
    calibrations.push(waitMs);
    totals.push(cold.calibrationMs ?? 0);
  }
  console.log(
    `calibration a load waits for, per model: median ${Math.round(median(calibrations))} ms, worst ${Math.round(Math.max(...calibrations))} ms; worst/goal (1 s): ${ratio(Math.max(...calibrations), 1000)}`,
  );
  console.log(
    `whole calibration, background included: median ${Math.round(median(totals))} ms, worst ${Math.round(Math.max(...totals))} ms (SwiftShader compiles GPU shaders on the CPU)`,
  );
  await browser.close();
});
