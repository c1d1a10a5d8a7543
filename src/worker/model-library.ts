/**
 * The worker's model library: Coral's catalog with what is cached, downloads with progress, and
 * files the user imported. Files live in Cache Storage keyed by sha256, shared with later sessions.
 */
import {
  CATALOG,
  CacheStorageFileCache,
  fetchPinnedFile,
  importFile,
  storePinnedFile,
  type CachedFileInfo,
  type DownloadProgress,
  type FileCache,
  type ZooEntry,
  type ZooFile,
} from '../lib/zoo/index.ts';
import { segmentOf } from '../lib/edgetpu/index.ts';
import { ReefError } from '../lib/errors.ts';
import { readModel } from '../lib/tflite/index.ts';
import { findCpuTwin, isCompiledForEdgeTpu, modelSignature, type TwinCandidate } from '../lib/zoo/cpu-twin.ts';
import { checkImport } from '../lib/zoo/import-check.ts';

export interface CatalogFileState extends ZooFile {
  cached: boolean;
}
export interface CatalogEntryState extends Omit<ZooEntry, 'files'> {
  files: CatalogFileState[];
  sizeBytes: number;
  cached: boolean;
}
/** A stored file; a compiled model also says which stored file is its CPU twin, and how they paired. */
export interface LocalFile extends CachedFileInfo {
  /** Set for `.tflite` files: whether it holds an Edge TPU (compiled) part. */
  compiled?: boolean;
  cpuTwin?: { sha256: string; name: string; by: 'name' | 'signature' };
  /**
   * Set for `*_segment_K_of_N_edgetpu.tflite` files: segment `index` (K) of `count` (N); files with
   * the same `set` (the name without its segment part) are one model compiled in segments.
   */
  segment?: { set: string; index: number; count: number };
}
export type { DownloadProgress };

export class ModelLibrary {
  readonly #cache: FileCache;
  readonly #downloads = new Map<string, AbortController>();
  /** Signatures by sha256: a stored file never changes, so each is read once per worker. */
  readonly #signatures = new Map<string, Omit<TwinCandidate, 'name'> | null>();

  constructor(cache: FileCache = new CacheStorageFileCache()) {
    this.#cache = cache;
  }

  async catalog(): Promise<CatalogEntryState[]> {
    const cached = new Set((await this.#cache.list()).map((f) => f.sha256));
    return CATALOG.map((entry) => {
      const files = entry.files.map((f) => ({ ...f, cached: cached.has(f.sha256) }));
      return {
        ...entry,
        files,
        sizeBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
        cached: files.every((f) => f.cached),
      };
    });
  }

  /** Downloads every file of a catalog entry that is not cached yet; progress covers the whole entry. */
  async download(id: string, baseUrl: string | undefined, onProgress?: (p: DownloadProgress) => void): Promise<void> {
    const entry = findEntry(id);
    if (this.#downloads.has(id)) throw new ReefError('FAILED_PRECONDITION', `${entry.title} is already downloading`);
    const controller = new AbortController();
    this.#downloads.set(id, controller);
    const total = entry.files.reduce((sum, f) => sum + f.sizeBytes, 0);
    let done = 0;
    try {
      for (const file of entry.files) {
        await fetchPinnedFile(file, {
          cache: this.#cache,
          ...(baseUrl ? { baseUrl } : {}),
          signal: controller.signal,
          onProgress: (p) => onProgress?.({ name: p.name, receivedBytes: done + p.receivedBytes, totalBytes: total }),
        });
        done += file.sizeBytes;
        onProgress?.({ name: file.name, receivedBytes: done, totalBytes: total });
      }
    } finally {
      this.#downloads.delete(id);
    }
  }

  cancelDownload(id: string): void {
    this.#downloads.get(id)?.abort();
  }

  /** One of an entry's files chosen from disk instead of downloaded: kept only if it matches a pin. */
  async useFileForEntry(id: string, name: string, bytes: Uint8Array): Promise<ZooFile> {
    return storePinnedFile(findEntry(id).files, bytes, name, this.#cache);
  }

  /** Removes an entry's cached files, except those another fully downloaded entry still uses (shared labels). */
  async deleteEntry(id: string): Promise<void> {
    const entry = findEntry(id);
    const others = (await this.catalog()).filter((e) => e.id !== id && e.cached);
    const keep = new Set(others.flatMap((e) => e.files.map((f) => f.sha256)));
    for (const file of entry.files) if (!keep.has(file.sha256)) await this.#cache.delete(file.sha256);
  }

  async importFile(name: string, bytes: Uint8Array): Promise<LocalFile> {
    if (bytes.length === 0) throw new ReefError('INVALID_ARGUMENT', `${name} is empty`, { reason: 'empty-file' });
    checkImport(name, bytes);
    const sha256 = await importFile(bytes, name, this.#cache);
    const info = (await this.#cache.list()).find((f) => f.sha256 === sha256);
    if (!info) throw new ReefError('INTERNAL', `${name} was not stored`);
    return info;
  }

  /** Stored files, newest first; each compiled model paired with its CPU twin among them. */
  async files(): Promise<LocalFile[]> {
    const files = (await this.#cache.list()).sort((a, b) => b.storedAt - a.storedAt);
    const models: TwinCandidate[] = [];
    for (const file of files) {
      const known = await this.#signature(file);
      if (known) models.push({ ...known, name: file.name });
    }
    return files.map((file): LocalFile => {
      const model = models.find((m) => m.key === file.sha256);
      if (!model) return file;
      const match = model.compiled ? findCpuTwin(model, models) : undefined;
      const segment = segmentOf(file.name);
      return {
        ...file,
        compiled: model.compiled,
        ...(match ? { cpuTwin: { sha256: match.twin.key, name: match.twin.name, by: match.by } } : {}),
        ...(segment && model.compiled ? { segment } : {}),
      };
    });
  }

  async #signature(file: CachedFileInfo): Promise<Omit<TwinCandidate, 'name'> | null> {
    if (!file.name.toLowerCase().endsWith('.tflite')) return null;
    const cached = this.#signatures.get(file.sha256);
    if (cached !== undefined) return cached;
    let known: Omit<TwinCandidate, 'name'> | null = null;
    try {
      const bytes = await this.#cache.get(file.sha256);
      if (bytes) {
        const model = readModel(bytes);
        known = { key: file.sha256, compiled: isCompiledForEdgeTpu(model), signature: modelSignature(model) };
      }
    } catch {
      // A stored file that does not read as a model (stored before imports were checked) pairs with nothing.
    }
    this.#signatures.set(file.sha256, known);
    return known;
  }

  async deleteFile(sha256: string): Promise<boolean> {
    return this.#cache.delete(sha256);
  }

  async read(sha256: string): Promise<Uint8Array> {
    const bytes = await this.#cache.get(sha256);
    if (!bytes) throw new ReefError('NOT_FOUND', `no stored file with sha256 ${sha256.slice(0, 12)}…`);
    return bytes;
  }
}

function findEntry(id: string): ZooEntry {
  const entry = CATALOG.find((e) => e.id === id);
  if (!entry) throw new ReefError('NOT_FOUND', `no catalog entry "${id}"`);
  return entry;
}
