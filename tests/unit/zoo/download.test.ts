import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  CATALOG,
  FIRMWARE_FILE,
  MemoryFileCache,
  fetchPinnedFile,
  fileUrl,
  importFile,
  sha256Hex,
} from '../../../src/lib/zoo/index.ts';
import type { ZooFile } from '../../../src/lib/zoo/index.ts';
import { FIXTURES, readFixture, type FixtureName } from '../../support/fixtures.ts';

const labels = CATALOG[0]!.files.find((f) => f.role === 'labels')!;

/** A fetch that serves fixture bytes for catalog URLs, in chunks, counting calls. */
function fixtureFetch(bytesFor: (url: string) => Uint8Array | undefined, chunk = 4096) {
  const calls: string[] = [];
  const fn = (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const bytes = bytesFor(url);
    if (!bytes) return new Response('not found', { status: 404 });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += chunk) controller.enqueue(bytes.slice(i, i + chunk));
        controller.close();
      },
    });
    return new Response(body, { headers: { 'content-length': String(bytes.length) } });
  }) as typeof fetch;
  return { fn, calls };
}

describe('zoo catalog', () => {
  it('pins every file to the size and sha256 of the real published file', async () => {
    const files: ZooFile[] = [...CATALOG.flatMap((e) => e.files), FIRMWARE_FILE];
    expect(files.length).toBeGreaterThan(15);
    for (const file of files) {
      const fixture = FIXTURES[file.name as FixtureName];
      expect(fixture, file.name).toBeDefined();
      expect(file.sizeBytes, file.name).toBe(fixture.size);
      expect(file.sha256, file.name).toBe(fixture.sha256);
      expect(file.path.endsWith(fixture.path), file.name).toBe(true);
      expect(await sha256Hex(await readFixture(file.name as FixtureName)), file.name).toBe(file.sha256);
    }
  });

  it('covers every task with a model', () => {
    expect(new Set(CATALOG.map((e) => e.task))).toEqual(new Set(['classify', 'detect', 'segment', 'pose', 'embed']));
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
  });

  it('builds raw URLs from base, repo, commit and path', () => {
    expect(fileUrl(FIRMWARE_FILE)).toBe(
      'https://raw.githubusercontent.com/google-coral/libedgetpu/e35aed18fea2e2d25d98352e5a5bd357c170bd4d/driver/usb/apex_latest_single_ep.bin',
    );
    expect(fileUrl(labels, 'http://localhost:9000/mirror/')).toBe(
      `http://localhost:9000/mirror/google-coral/test_data/${labels.commit}/imagenet_labels.txt`,
    );
  });
});

describe('fetchPinnedFile', () => {
  it('downloads with progress, verifies, caches, and serves the next call from the cache', async () => {
    const real = await readFixture('imagenet_labels.txt');
    const { fn, calls } = fixtureFetch(() => real, 5000);
    const cache = new MemoryFileCache();
    const progress: number[] = [];
    const bytes = await fetchPinnedFile(labels, {
      cache,
      fetch: fn,
      onProgress: (p) => progress.push(p.receivedBytes),
    });
    expect(bytes).toEqual(real);
    expect(progress).toEqual([5000, 10000, 15000, 20000, 21686]);
    expect((await cache.list()).map((i) => [i.name, i.sha256])).toEqual([[labels.name, labels.sha256]]);
    expect(await fetchPinnedFile(labels, { cache, fetch: fn })).toEqual(real);
    expect(calls).toHaveLength(1);
  });

  it('rejects a corrupted download and does not cache it', async () => {
    const corrupt = await readFixture('imagenet_labels.txt');
    corrupt[100] = corrupt[100]! ^ 0xff;
    const cache = new MemoryFileCache();
    const error = await fetchPinnedFile(labels, { cache, fetch: fixtureFetch(() => corrupt).fn }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).code).toBe('DATA_LOSS');
    expect((error as ReefError).reason).toBe('sha256-mismatch');
    expect(await cache.list()).toEqual([]);
  });

  it('rejects a file of the wrong size without reading past the pin', async () => {
    const longer = new Uint8Array(labels.sizeBytes + 10);
    const error = await fetchPinnedFile(labels, {
      cache: new MemoryFileCache(),
      fetch: fixtureFetch(() => longer).fn,
    }).catch((e: unknown) => e);
    expect((error as ReefError).reason).toBe('size-mismatch');
    const shorter = new Uint8Array(10);
    const error2 = await fetchPinnedFile(labels, {
      cache: new MemoryFileCache(),
      fetch: fixtureFetch(() => shorter).fn,
    }).catch((e: unknown) => e);
    expect((error2 as ReefError).reason).toBe('size-mismatch');
  });

  it('says the server failed, or that the network is unreachable, with the import hint', async () => {
    const http = (await fetchPinnedFile(labels, {
      cache: new MemoryFileCache(),
      fetch: fixtureFetch(() => undefined).fn,
    }).catch((e: unknown) => e)) as ReefError;
    expect(http.code).toBe('UNAVAILABLE');
    expect(http.message).toContain('HTTP 404');
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const net = (await fetchPinnedFile(labels, { cache: new MemoryFileCache(), fetch: offline }).catch(
      (e: unknown) => e,
    )) as ReefError;
    expect(net.code).toBe('UNAVAILABLE');
    expect(net.message).toContain('import the file instead');
  });
});

describe('importFile', () => {
  it('keeps an imported file under its sha256', async () => {
    const cache = new MemoryFileCache();
    const bytes = await readFixture('model_invoking_error.tflite');
    const sha = await importFile(bytes, 'mine.tflite', cache);
    expect(sha).toBe(FIXTURES['model_invoking_error.tflite'].sha256);
    expect(await cache.get(sha)).toEqual(bytes);
    expect((await cache.list())[0]).toMatchObject({ name: 'mine.tflite', source: 'import', sizeBytes: 488 });
  });
});
