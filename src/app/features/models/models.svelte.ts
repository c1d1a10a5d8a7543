/** The Models page's state: catalog with cache state, downloads in flight, imported files. */
import { proxy } from 'comlink';
import type { CatalogEntryState, DownloadProgress, LocalFile } from '../../../worker/accelerator-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { chosenFileRefusal, downloadFailure } from '../../shared/download-failure.ts';
import { errorMessage, errorReason } from '../../shared/errors.ts';
import { looksLikeImage } from '../../shared/image-offer.ts';
import { freeStorageBytes, importRefusal, storageRefusal } from '../../shared/import-limits.ts';
import { inspectStoredModel, type Inspection } from './inspection.ts';

const BASE_URL_KEY = 'reef.modelBaseUrl';

export interface DownloadState {
  receivedBytes: number;
  totalBytes: number;
  error?: string;
}

/** A file import in progress: reading it (counted) then storing it in the worker (not counted). */
export interface ImportState {
  name: string;
  phase: 'reading' | 'storing';
  doneBytes: number;
  totalBytes: number;
}

export class ModelsState {
  entries = $state<CatalogEntryState[]>([]);
  files = $state<LocalFile[]>([]);
  downloads = $state<Record<string, DownloadState>>({});
  importMessage = $state<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  importing = $state<ImportState | undefined>(undefined);
  /** Images among the imported files: not stored, offered to the Live page instead. */
  images = $state.raw<File[]>([]);
  baseUrl = $state(localStorage.getItem(BASE_URL_KEY) ?? '');
  loaded = $state(false);
  importedFiles = $derived(this.files.filter((f) => f.source === 'import'));
  inspection = $state.raw<Inspection | undefined>(undefined);
  inspecting = $state<string | undefined>(undefined);
  inspectError = $state<string | undefined>(undefined);

  async refresh(): Promise<void> {
    const api = accelerator();
    const [entries, files] = await Promise.all([api.catalog(), api.localFiles()]);
    this.entries = entries;
    this.files = files;
    this.loaded = true;
    // An old download error is stale once the entry is stored (by a retry, another entry sharing
    // its files, or "Use a file…"): a card must not say "failed" beside "Downloaded".
    for (const entry of entries) if (entry.cached && this.downloads[entry.id]?.error) delete this.downloads[entry.id];
  }

  setBaseUrl(value: string): void {
    this.baseUrl = value.trim();
    if (this.baseUrl) localStorage.setItem(BASE_URL_KEY, this.baseUrl);
    else localStorage.removeItem(BASE_URL_KEY);
  }

  async download(id: string): Promise<void> {
    // The sizes are known up front: refuse now rather than when Cache Storage is full halfway.
    const entry = this.entries.find((e) => e.id === id);
    const missing = entry?.files.filter((f) => !f.cached).reduce((sum, f) => sum + f.sizeBytes, 0) ?? 0;
    const refusal = entry && storageRefusal(`${entry.title} needs`, missing, await freeStorageBytes(navigator.storage));
    if (refusal) {
      this.downloads[id] = { receivedBytes: 0, totalBytes: 0, error: refusal };
      return;
    }
    this.downloads[id] = { receivedBytes: 0, totalBytes: 0 };
    // Progress arrives on the proxy's own port, so a last update can land after the call returns:
    // ignore anything once the download is over.
    let over = false;
    const onProgress = proxy((p: DownloadProgress) => {
      if (!over) this.downloads[id] = { receivedBytes: p.receivedBytes, totalBytes: p.totalBytes };
    });
    try {
      await accelerator().downloadCatalogEntry(id, this.baseUrl || undefined, onProgress);
      over = true;
      delete this.downloads[id];
    } catch (error) {
      over = true;
      this.downloads[id] = {
        ...(this.downloads[id] ?? { receivedBytes: 0, totalBytes: 0 }),
        error: downloadFailure(error, entry?.title ?? id, this.baseUrl),
      };
    }
    await this.refresh();
  }

  /** A catalog entry's files chosen from disk instead of downloaded, each checked against its pin. */
  async useFiles(id: string, files: File[]): Promise<void> {
    const title = this.entries.find((e) => e.id === id)?.title ?? id;
    let current = '';
    try {
      for (const file of files) {
        current = file.name;
        await accelerator().useFileForCatalogEntry(id, file.name, new Uint8Array(await file.arrayBuffer()));
      }
      delete this.downloads[id];
    } catch (error) {
      this.downloads[id] = { receivedBytes: 0, totalBytes: 0, error: chosenFileRefusal(error, current, title) };
    }
    await this.refresh();
  }

  async cancel(id: string): Promise<void> {
    await accelerator().cancelDownload(id);
  }

  async remove(id: string): Promise<void> {
    await accelerator().deleteCatalogEntry(id);
    delete this.downloads[id];
    await this.refresh();
  }

  /**
   * Checks size and free storage first, then reads and stores each file, with progress. A file that
   * is neither a model nor a label file is refused with the reason (the worker checks the bytes);
   * the others are still stored. Images are kept aside and offered to Live.
   */
  async importFiles(list: FileList | File[]): Promise<void> {
    if (this.importing) return;
    const images = Array.from(list).filter(looksLikeImage);
    const files = Array.from(list).filter((f) => !looksLikeImage(f));
    const names: string[] = [];
    const refused: string[] = [];
    this.importMessage = undefined;
    this.images = [];
    try {
      const refusal = importRefusal(files, await freeStorageBytes(navigator.storage));
      if (refusal) {
        this.importMessage = { kind: 'error', text: refusal };
        return;
      }
      for (const file of files) {
        const bytes = await this.#read(file);
        this.importing = { name: file.name, phase: 'storing', doneBytes: file.size, totalBytes: file.size };
        try {
          await accelerator().importFile(file.name, bytes);
          names.push(file.name);
        } catch (error) {
          // An image under another name is found by its bytes: offer it to Live all the same.
          if (errorReason(error) === 'image-not-model') images.push(file);
          else refused.push(`Not imported: ${errorMessage(error)}.`);
        }
      }
      const stored = names.length ? `Imported ${names.join(', ')}.` : '';
      // One line per refused file, then what was stored.
      if (refused.length) this.importMessage = { kind: 'error', text: [...refused, stored].join('\n').trim() };
      else if (stored) this.importMessage = { kind: 'ok', text: stored };
    } catch (error) {
      const stored = names.length ? ` (${names.join(', ')} stored)` : '';
      this.importMessage = { kind: 'error', text: `${errorMessage(error)}${stored}` };
    } finally {
      this.importing = undefined;
      this.images = images;
    }
    await this.refresh();
  }

  /** Reads a file in chunks, so a big one shows progress instead of a frozen page. */
  async #read(file: File): Promise<Uint8Array> {
    const bytes = new Uint8Array(file.size);
    let done = 0;
    this.importing = { name: file.name, phase: 'reading', doneBytes: 0, totalBytes: file.size };
    const reader = file.stream().getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      if (done + value.length > bytes.length) throw new Error(`${file.name} changed while it was read`);
      bytes.set(value, done);
      done += value.length;
      this.importing = { name: file.name, phase: 'reading', doneBytes: done, totalBytes: file.size };
    }
    if (done !== bytes.length) throw new Error(`${file.name} changed while it was read`);
    return bytes;
  }

  async deleteFile(sha256: string): Promise<void> {
    await accelerator().deleteLocalFile(sha256);
    await this.refresh();
  }

  /** Reads a stored model in the worker and shows what it is: segments, parameter cache, I/O, labels. */
  async inspect(file: LocalFile): Promise<void> {
    this.inspecting = file.sha256;
    this.inspectError = undefined;
    try {
      this.inspection = await inspectStoredModel(file);
    } catch (error) {
      this.inspection = undefined;
      this.inspectError = errorMessage(error);
    } finally {
      this.inspecting = undefined;
    }
  }

  closeInspector(): void {
    this.inspection = undefined;
    this.inspectError = undefined;
  }
}
