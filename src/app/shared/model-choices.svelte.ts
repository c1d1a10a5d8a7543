/**
 * The models a person can run: cached catalog entries (compiled + CPU twin + labels) and imported
 * `.tflite` files. Shared by the Live, Benchmark and Kiosk pages.
 */
import type { CatalogEntryState, LocalFile } from '../../worker/accelerator-api.ts';
import { accelerator } from './accelerator.ts';
import { labelFileBeside } from './labels-beside.ts';
import { segmentSets } from './segment-sets.ts';

export type ModelTask = 'classify' | 'detect' | 'segment' | 'pose';

/** Which stored files make up one runnable model; the worker picks the file that suits the engine. */
export interface ModelChoice {
  /** `catalog:<entry id>` or `file:<sha256>`. */
  key: string;
  title: string;
  task: ModelTask;
  /** sha256 of the Edge TPU compiled file, when there is one. */
  edgetpu?: string;
  /** sha256 of the CPU model (LiteRT WASM), when there is one. */
  cpu?: string;
  /** sha256 of a label file; models with embedded labels need none. */
  labels?: string;
  /** An imported compiled model's CPU twin, found among the stored files (by file name or I/O signature). */
  twin?: { name: string; by: 'name' | 'signature' };
  /**
   * A model compiled in segments (`*_segment_K_of_N_edgetpu.tflite`): every segment file. It runs
   * only on Edge TPUs (pipelined across them, or in turn on one); the worker checks the set.
   */
  segments?: { name: string; sha256: string }[];
}

const RUNNABLE_TASKS: readonly string[] = ['classify', 'detect', 'segment', 'pose'];

export function choicesFrom(entries: CatalogEntryState[], files: LocalFile[]): ModelChoice[] {
  const fromCatalog = entries
    .filter((e) => e.cached && RUNNABLE_TASKS.includes(e.task))
    .map((e): ModelChoice => {
      const pick = (role: string) => e.files.find((f) => f.role === role)?.sha256;
      const edgetpu = pick('edgetpu');
      const cpu = pick('cpu');
      const labels = pick('labels');
      const segments = e.files.filter((f) => f.role === 'segment').map((f) => ({ name: f.name, sha256: f.sha256 }));
      return {
        key: `catalog:${e.id}`,
        title: e.title,
        task: e.task as ModelTask,
        ...(edgetpu ? { edgetpu } : {}),
        ...(cpu ? { cpu } : {}),
        ...(labels ? { labels } : {}),
        ...(segments.length > 0 ? { segments } : {}),
      };
    });
  const labelsBeside = labelFileBeside(files);
  const sets = segmentSets(files);
  const inSets = sets.flatMap((s) => s.segments.map((f) => f.sha256));
  const fromSets = sets.map((set): ModelChoice => {
    const labels = labelsBeside(`${set.name}.tflite`);
    return {
      key: `segments:${set.segments.map((f) => f.sha256).join(',')}`,
      title: `${set.name} (${set.segments.length} segments)`,
      task: guessTask(set.name),
      segments: set.segments,
      ...(labels ? { labels } : {}),
    };
  });
  const fromImports = files
    .filter((f) => f.source === 'import' && f.name.endsWith('.tflite') && !inSets.includes(f.sha256))
    .map((f): ModelChoice => {
      const compiled = f.compiled ?? (f.name.endsWith('_edgetpu.tflite') || f.name.endsWith('-edgetpu.tflite'));
      // The worker paired a compiled model with its CPU twin (lib/zoo/cpu-twin), so WASM can run it too.
      const twin = compiled ? f.cpuTwin : undefined;
      const labels = labelsBeside(f.name);
      return {
        key: `file:${f.sha256}`,
        title: f.name,
        task: guessTask(f.name),
        ...(compiled ? { edgetpu: f.sha256 } : { cpu: f.sha256 }),
        ...(twin ? { cpu: twin.sha256, twin: { name: twin.name, by: twin.by } } : {}),
        ...(labels ? { labels } : {}),
      };
    });
  return [...fromCatalog, ...fromSets, ...fromImports];
}

/** A first guess from the file name; the person can change the task on the page. */
export function guessTask(name: string): ModelTask {
  const n = name.toLowerCase();
  if (/ssd|detect|yolo|efficientdet|mobiledet/.test(n)) return 'detect';
  if (/deeplab|segment|unet/.test(n) && !/segment_\d+_of_\d+/.test(n)) return 'segment';
  if (/movenet|posenet|pose/.test(n)) return 'pose';
  return 'classify';
}

export class ModelChoicesState {
  choices = $state<ModelChoice[]>([]);
  labelFiles = $state<LocalFile[]>([]);
  loaded = $state(false);
  error = $state<string | undefined>(undefined);

  async refresh(): Promise<void> {
    try {
      const api = accelerator();
      const [entries, files] = await Promise.all([api.catalog(), api.localFiles()]);
      this.choices = choicesFrom(entries, files);
      this.labelFiles = files.filter((f) => f.name.endsWith('.txt'));
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.loaded = true;
    }
  }

  find(key: string): ModelChoice | undefined {
    return this.choices.find((c) => c.key === key);
  }
}
