/** The Benchmark page: models × engines, N timed runs each in the worker, then a histogram, table and CSV. */
import { accelerator } from '../../shared/accelerator.ts';
import { csvFileName, summarize, speedups, toCsv, type BenchmarkRow } from './benchmark-stats.ts';
import { saveFile } from '../../shared/download.ts';
import { acceleratorChoices, decisionWords, engineWords } from '../../shared/engine-words.ts';
import { errorMessage, errorReason } from '../../shared/errors.ts';
import { watchDevices, type DeviceWatch } from '../../shared/device-watch.ts';
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
    if (this.#stopped) return;
    this.#watch?.stop();
    // Follows plug and unplug while the page is open: a Coral plugged in is offered (and picked),
    // one unplugged is no longer offered nor picked.
    let first = true;
    this.#watch = watchDevices(
      (list) => {
        const ready = list.filter((d) => d.state === 'ready' || d.state === 'busy').map((d) => d.id);
        const added = ready.filter((id) => !this.devices.includes(id));
        const kept = this.selectedEngines.filter((e) => !e.startsWith('usb:') || ready.includes(e));
        this.devices = ready;
        if (first && ready.length > 0) this.selectedEngines = [...ready, 'wasm'];
        else if (added.length > 0 || kept.length !== this.selectedEngines.length)
          this.selectedEngines = [...added, ...kept];
        first = false;
      },
      // No WebUSB here (or the worker went away): WASM and the GPU are still offered.
      { onError: () => (this.devices = []) },
    );
  }

  /** Stops following the devices (the page closed). */
  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    this.#watch = undefined;
  }

  #watch: DeviceWatch | undefined;
  #stopped = false;

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
