/** Fetch a pinned file with progress, check its sha256, keep it in the file cache. */
import { ReefError } from '../errors.ts';
import { DEFAULT_BASE_URL, type ZooFile } from './catalog.ts';
import type { FileCache } from './file-cache.ts';
import { sha256Hex } from '../sha256.ts';

export interface DownloadProgress {
  name: string;
  receivedBytes: number;
  totalBytes: number;
}

export interface DownloadOptions {
  baseUrl?: string;
  cache: FileCache;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Injected in tests; the platform's fetch otherwise. */
  fetch?: typeof fetch;
}

export function fileUrl(file: ZooFile, baseUrl = DEFAULT_BASE_URL): string {
  return `${baseUrl.replace(/\/+$/, '')}/${file.repo}/${file.commit}/${file.path}`;
}

/**
 * Returns the file's bytes: from the cache when present, otherwise downloaded, verified and cached.
 * A file whose bytes do not hash to the pinned sha256 is rejected and never cached.
 */
export async function fetchPinnedFile(file: ZooFile, options: DownloadOptions): Promise<Uint8Array> {
  const cached = await options.cache.get(file.sha256);
  if (cached) return cached;
  const url = fileUrl(file, options.baseUrl);
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal ?? null, mode: 'cors', credentials: 'omit' });
  } catch (error) {
    if (options.signal?.aborted)
      throw new ReefError('CANCELLED', `download of ${file.name} cancelled`, { cause: error });
    throw new ReefError(
      'UNAVAILABLE',
      `cannot download ${file.name} from ${url} (offline or blocked); import the file instead`,
      { cause: error, reason: 'network' },
    );
  }
  if (!response.ok || !response.body) {
    throw new ReefError('UNAVAILABLE', `download of ${file.name} from ${url} failed: HTTP ${response.status}`, {
      reason: 'http',
    });
  }
  const total = Number(response.headers.get('content-length')) || file.sizeBytes;
  // The pinned size bounds the allocation: a server sending more than promised is cut off.
  const bytes = new Uint8Array(file.sizeBytes);
  let received = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received + value.length > bytes.length) {
        throw new ReefError('DATA_LOSS', `${file.name}: server sent more than the expected ${file.sizeBytes} bytes`, {
          reason: 'size-mismatch',
        });
      }
      bytes.set(value, received);
      received += value.length;
      options.onProgress?.({ name: file.name, receivedBytes: received, totalBytes: total });
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof ReefError) throw error;
    if (options.signal?.aborted)
      throw new ReefError('CANCELLED', `download of ${file.name} cancelled`, { cause: error });
    throw new ReefError('UNAVAILABLE', `download of ${file.name} was interrupted`, { cause: error, reason: 'network' });
  }
  if (received !== file.sizeBytes) {
    throw new ReefError('DATA_LOSS', `${file.name}: got ${received} bytes, expected ${file.sizeBytes}`, {
      reason: 'size-mismatch',
    });
  }
  const digest = await sha256Hex(bytes);
  if (digest !== file.sha256) {
    throw new ReefError('DATA_LOSS', `${file.name}: sha256 ${digest} does not match the pinned ${file.sha256}`, {
      reason: 'sha256-mismatch',
    });
  }
  await options.cache.put(bytes, {
    sha256: digest,
    name: file.name,
    sizeBytes: bytes.length,
    source: url,
    storedAt: Date.now(),
  });
  return bytes;
}

/** Keeps a file the user imported (no pin to check against: its hash becomes its identity). */
export async function importFile(bytes: Uint8Array, name: string, cache: FileCache): Promise<string> {
  const sha256 = await sha256Hex(bytes);
  await cache.put(bytes, { sha256, name, sizeBytes: bytes.length, source: 'import', storedAt: Date.now() });
  return sha256;
}

/**
 * Keeps a file the person chose from disk in place of downloading one of `files` (offline, or a
 * blocked network): it is accepted only when its bytes hash to one of their pinned sha256s, and is
 * stored under that pin's name, exactly as a download would be.
 */
export async function storePinnedFile(
  files: readonly ZooFile[],
  bytes: Uint8Array,
  chosenName: string,
  cache: FileCache,
): Promise<ZooFile> {
  const digest = await sha256Hex(bytes);
  const pinned = files.find((f) => f.sha256 === digest);
  if (!pinned) {
    const wanted = files.map((f) => f.name).join(', ');
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${chosenName} is not one of the expected files (${wanted}): its sha256 ${digest.slice(0, 12)}… matches none of their pins`,
      { reason: 'sha256-mismatch' },
    );
  }
  await cache.put(bytes, {
    sha256: digest,
    name: pinned.name,
    sizeBytes: bytes.length,
    source: `file:${chosenName}`,
    storedAt: Date.now(),
  });
  return pinned;
}
