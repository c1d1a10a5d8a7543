/**
 * Where downloaded and imported files live, keyed by sha256. In the browser: Cache Storage (shared
 * by page, worker and service worker, survives reloads). Elsewhere: an in-memory map (tests) or any
 * other implementation of the interface (the CLI's cache directory).
 */

export interface CachedFileInfo {
  sha256: string;
  name: string;
  sizeBytes: number;
  /** Where it came from: a catalog URL, or `import` for a file the user gave. */
  source: string;
  storedAt: number;
}

export interface FileCache {
  get(sha256: string): Promise<Uint8Array | undefined>;
  has(sha256: string): Promise<boolean>;
  put(bytes: Uint8Array, info: CachedFileInfo): Promise<void>;
  delete(sha256: string): Promise<boolean>;
  list(): Promise<CachedFileInfo[]>;
}

export class MemoryFileCache implements FileCache {
  readonly #files = new Map<string, { bytes: Uint8Array; info: CachedFileInfo }>();
  async get(sha256: string): Promise<Uint8Array | undefined> {
    return this.#files.get(sha256)?.bytes.slice();
  }
  async has(sha256: string): Promise<boolean> {
    return this.#files.has(sha256);
  }
  async put(bytes: Uint8Array, info: CachedFileInfo): Promise<void> {
    this.#files.set(info.sha256, { bytes: bytes.slice(), info });
  }
  async delete(sha256: string): Promise<boolean> {
    return this.#files.delete(sha256);
  }
  async list(): Promise<CachedFileInfo[]> {
    return [...this.#files.values()].map((f) => f.info);
  }
}

/** Cache Storage keys are URLs; ours are synthetic, on our own origin, never fetched. */
const KEY_PREFIX = '/__reef-files__/';

export class CacheStorageFileCache implements FileCache {
  readonly #name: string;
  constructor(cacheName = 'reef-files-v1') {
    this.#name = cacheName;
  }
  #key(sha256: string): string {
    return new URL(`${KEY_PREFIX}${sha256}`, location.origin).toString();
  }
  async get(sha256: string): Promise<Uint8Array | undefined> {
    const response = await (await caches.open(this.#name)).match(this.#key(sha256));
    return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
  }
  async has(sha256: string): Promise<boolean> {
    return (await (await caches.open(this.#name)).match(this.#key(sha256))) !== undefined;
  }
  async put(bytes: Uint8Array, info: CachedFileInfo): Promise<void> {
    const headers = {
      'content-type': 'application/octet-stream',
      'x-reef-info': encodeURIComponent(JSON.stringify(info)),
    };
    await (await caches.open(this.#name)).put(this.#key(info.sha256), new Response(bytes.slice().buffer, { headers }));
  }
  async delete(sha256: string): Promise<boolean> {
    return (await caches.open(this.#name)).delete(this.#key(sha256));
  }
  async list(): Promise<CachedFileInfo[]> {
    const cache = await caches.open(this.#name);
    const infos: CachedFileInfo[] = [];
    for (const request of await cache.keys()) {
      const header = (await cache.match(request))?.headers.get('x-reef-info');
      if (header) infos.push(JSON.parse(decodeURIComponent(header)) as CachedFileInfo);
    }
    return infos;
  }
}
