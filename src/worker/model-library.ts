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
import { ReefError } from '../lib/errors.ts';

export interface CatalogFileState extends ZooFile {
  cached: boolean;
}
export interface CatalogEntryState extends Omit<ZooEntry, 'files'> {
  files: CatalogFileState[];
  sizeBytes: number;
  cached: boolean;
}
export type LocalFile = CachedFileInfo;
export type { DownloadProgress };

export class ModelLibrary {
  readonly #cache: FileCache;
  readonly #downloads = new Map<string, AbortController>();

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
    const sha256 = await importFile(bytes, name, this.#cache);
    const info = (await this.#cache.list()).find((f) => f.sha256 === sha256);
    if (!info) throw new ReefError('INTERNAL', `${name} was not stored`);
    return info;
  }

  async files(): Promise<LocalFile[]> {
    return (await this.#cache.list()).sort((a, b) => b.storedAt - a.storedAt);
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
