/**
 * Where `auto` remembers its measured choice per model, so a model is calibrated once per set of
 * engines: IndexedDB in the browser, a JSON file in the user's cache directory in Node. A record
 * holds the engine set it was measured on; when the set differs (a TPU unplugged, WebGPU lost, a
 * TPU added) the record no longer counts and the next load calibrates again.
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { EngineKind } from './registry.ts';

/** One engine's calibration figures, as shown to people. */
export interface CandidateFigure {
  engine: EngineKind;
  device: string;
  label: string;
  medianMs: number;
  /** Largest difference from the WASM reference (0 for WASM itself) and the tolerance it was held to. */
  maxError: number;
  tolerance: number;
  /** What measuring it cost (absent in choices remembered before it was recorded). */
  cost?: CalibrationCost;
}

/** One candidate's share of a calibration: its load, warm-up run and timed runs, and why timing stopped. */
export interface CalibrationCost {
  /** Starting the engine's runtime (once per session; 0 when it was running already). */
  startMs: number;
  loadMs: number;
  warmUpMs: number;
  timedRuns: number;
  timedMs: number;
  stop: 'runs' | 'budget' | 'out' | 'decided';
}

export interface CachedChoice {
  /** The engine set it was measured on (see `engineSetKey`). */
  engineSet: string;
  engine: EngineKind;
  device: string;
  figures: CandidateFigure[];
  /** Engines skipped during that calibration and why. */
  skipped: { engine: EngineKind; device?: string; reason: string }[];
  calibrationMs: number;
  /** When it was measured (ms since epoch). */
  at: number;
}

export interface ChoiceCache {
  get(model: string): Promise<CachedChoice | undefined>;
  set(model: string, choice: CachedChoice): Promise<void>;
}

export class MemoryChoiceCache implements ChoiceCache {
  readonly #choices = new Map<string, CachedChoice>();
  async get(model: string): Promise<CachedChoice | undefined> {
    return this.#choices.get(model);
  }
  async set(model: string, choice: CachedChoice): Promise<void> {
    this.#choices.set(model, choice);
  }
}

/** The browser's cache: one IndexedDB store, keyed by the model's sha256. */
export class IdbChoiceCache implements ChoiceCache {
  #db: Promise<IDBPDatabase> | undefined;
  readonly #name: string;

  constructor(name = 'reef-engine-choices') {
    this.#name = name;
  }

  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.#name, 1, {
      upgrade(db) {
        db.createObjectStore('choices');
      },
    });
    return this.#db;
  }

  async get(model: string): Promise<CachedChoice | undefined> {
    return (await (await this.#open()).get('choices', model)) as CachedChoice | undefined;
  }

  async set(model: string, choice: CachedChoice): Promise<void> {
    await (await this.#open()).put('choices', choice, model);
  }
}

/** The file operations the Node cache needs (the CLI passes node:fs; src/lib stays free of Node). */
export interface ChoiceFileSystem {
  readFile(path: string): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
}

/**
 * Node's cache: one JSON file (e.g. `~/.cache/reef/engine-choices.json`). An unreadable or
 * malformed file counts as empty — a cache must never stop a model from running.
 */
export class FileChoiceCache implements ChoiceCache {
  readonly #path: string;
  readonly #fs: ChoiceFileSystem;

  constructor(path: string, fs: ChoiceFileSystem) {
    this.#path = path;
    this.#fs = fs;
  }

  async #read(): Promise<Record<string, CachedChoice>> {
    try {
      const parsed: unknown = JSON.parse(await this.#fs.readFile(this.#path));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, CachedChoice>)
        : {};
    } catch {
      return {};
    }
  }

  async get(model: string): Promise<CachedChoice | undefined> {
    const choice = (await this.#read())[model];
    return choice && typeof choice.engineSet === 'string' && typeof choice.engine === 'string' ? choice : undefined;
  }

  async set(model: string, choice: CachedChoice): Promise<void> {
    const all = await this.#read();
    all[model] = choice;
    await this.#fs.writeFile(this.#path, JSON.stringify(all, null, 1));
  }
}

/** The identity of an engine set: each available engine and its devices, in a fixed order. */
export function engineSetKey(engines: readonly { engine: EngineKind; devices: readonly string[] }[]): string {
  return engines
    .map((e) => `${e.engine}=${[...e.devices].sort().join('+')}`)
    .sort()
    .join(',');
}
