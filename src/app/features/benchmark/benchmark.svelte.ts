/** The Benchmark page: models × engines, N timed runs each in the worker, then a histogram, table and CSV. */
import { accelerator } from '../../shared/accelerator.ts';
import { csvFileName, summarize, speedups, toCsv, type BenchmarkRow } from './benchmark-stats.ts';
import { saveFile } from '../../shared/download.ts';
import { acceleratorChoices, decisionWords, engineWords } from '../../shared/engine-words.ts';
import { errorMessage, errorReason } from '../../shared/errors.ts';
import { benchmarkModel, type BenchmarkResult } from '../../shared/inference-client.ts';
import { ModelChoicesState } from '../../shared/model-choices.svelte.ts';

export class BenchmarkState {
  readonly models = new ModelChoicesState();
  devices = $state<string[]>([]);
  /** The ladder's other available engines (GPU (WebGPU), WebNN). */
  accelerators = $state<{ value: string; label: string }[]>([]);
  /** The ladder's decision per model, from its Automatic run: where it runs, why, the figures. */
  decisions = $state<{ model: string; words: string; skipped: string[] }[]>([]);
  selectedModels = $state<string[]>([]);
  selectedEngines = $state<string[]>(['wasm']);
  iterations = $state(50);
  running = $state(false);
  done = $state(0);
  total = $state(0);
  rows = $state<BenchmarkRow[]>([]);
  error = $state<string | undefined>(undefined);
  /** Model × engine pairs not run, with why (a segment set off the TPU). */
  notRun = $state<string[]>([]);
  summaries = $derived(this.rows.map((r) => ({ row: r, stats: summarize(r.samplesMs) })));
  ratios = $derived(speedups(this.rows));
  engines = $derived(['auto', 'wasm', ...this.accelerators.map((a) => a.value), ...this.devices]);
  #cancelled = false;

  async load(): Promise<void> {
    await this.models.refresh();
    if (this.selectedModels.length === 0 && this.models.choices[0]) this.selectedModels = [this.models.choices[0].key];
    try {
      this.accelerators = acceleratorChoices(await accelerator().engineLadder());
    } catch {
      // The worker could not list its engines: WASM and the TPUs are still offered.
      this.accelerators = [];
    }
    try {
      this.devices = (await accelerator().refreshDevices()).filter((d) => d.state === 'ready').map((d) => d.id);
      if (this.devices.length > 0) this.selectedEngines = [...this.devices, 'wasm'];
    } catch {
      // No WebUSB here: WASM is the only engine to measure.
      this.devices = [];
    }
  }

  toggle(list: 'selectedModels' | 'selectedEngines', key: string, on: boolean): void {
    const current = this[list].filter((k) => k !== key);
    this[list] = on ? [...current, key] : current;
  }

  async run(): Promise<void> {
    const iterations = Math.max(1, Math.min(10_000, Math.floor(this.iterations)));
    const jobs = this.selectedModels.flatMap((m) => this.selectedEngines.map((e) => ({ model: m, engine: e })));
    this.rows = [];
    this.decisions = [];
    this.notRun = [];
    this.error = undefined;
    this.done = 0;
    this.total = jobs.length * iterations;
    this.running = true;
    this.#cancelled = false;
    try {
      for (const job of jobs) {
        const model = this.models.find(job.model);
        if (!model || this.#cancelled) continue;
        const before = this.done;
        let result: BenchmarkResult;
        try {
          result = await benchmarkModel({ model, task: model.task, engine: job.engine }, iterations, (n) => {
            this.done = before + n;
          });
        } catch (error) {
          // A segment set runs only on TPUs: say so for this pair and measure the others.
          if (errorReason(error) !== 'segmented-needs-tpu') throw error;
          this.notRun = [...this.notRun, `${model.title}: ${errorMessage(error)}`];
          this.total -= iterations;
          continue;
        }
        if (job.engine === 'auto') {
          this.decisions = [
            ...this.decisions,
            {
              model: model.title,
              words: `${result.decision.label} · ${decisionWords(result.decision)}`,
              skipped: result.decision.skipped.map((s) => s.reason),
            },
          ];
        }
        this.rows = [
          ...this.rows,
          {
            model: model.title,
            engine: job.engine,
            ranOn: engineWords(result.engine, result.device),
            ranOnDetail: `${result.engine} · ${result.device}`,
            ...(result.segments
              ? { placement: result.segments.map((s, k) => `segment ${k} → ${s.device}`).join(' · ') }
              : {}),
            samplesMs: result.samplesMs,
          },
        ];
        this.done = before + iterations;
      }
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.running = false;
    }
  }

  cancel(): void {
    this.#cancelled = true;
  }

  /** A real file download of every sample. */
  exportCsv(): void {
    saveFile(toCsv(this.rows), csvFileName(Date.now()), 'text/csv');
  }
}
