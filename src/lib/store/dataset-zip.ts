/**
 * A dataset as one ZIP: manifest.json (names, order, sources, times), labels.txt and the images
 * exactly as stored. Export is deterministic (fixed entry times, stored order, no compression of
 * already-compressed images), so export → import → export gives the same bytes.
 */
import { strFromU8, strToU8, zipSync, type Zippable } from 'fflate';
import { ReefError } from '../errors.ts';
import { listZip, readZipEntry, ZipBudget, type ZipEntry, type ZipLimits } from '../tflite/index.ts';
import type { ClassRecord, SampleRecord, SampleSource } from './db.ts';
import type { DatasetSnapshot } from './datasets.ts';
import { sniffImageType } from './sample-image.ts';

export const DATASET_ZIP_FORMAT = 'reef-dataset';
export const DATASET_ZIP_VERSION = 1;

interface ManifestSample {
  file: string;
  class: number;
  type: string;
  source: SampleSource;
  createdAt: number;
  seq: number;
}

interface Manifest {
  format: typeof DATASET_ZIP_FORMAT;
  version: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  nextSeq: number;
  classes: { name: string; createdAt: number }[];
  samples: ManifestSample[];
}

/** Local-time fields are what a ZIP stores; built from local fields, they are the same in every zone. */
const ENTRY_TIME = new Date(1980, 0, 1, 0, 0, 0);

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

function extensionOf(type: string): string {
  return EXTENSIONS[type] ?? 'bin';
}

export async function exportDatasetZip(snapshot: DatasetSnapshot): Promise<Uint8Array> {
  const classIndex = new Map(snapshot.classes.map((c, i) => [c.id, i]));
  const samples = [...snapshot.samples].sort((a, b) => a.seq - b.seq);
  const manifest: Manifest = {
    format: DATASET_ZIP_FORMAT,
    version: DATASET_ZIP_VERSION,
    name: snapshot.dataset.name,
    createdAt: snapshot.dataset.createdAt,
    updatedAt: snapshot.dataset.updatedAt,
    nextSeq: snapshot.dataset.nextSeq,
    classes: snapshot.classes.map((c) => ({ name: c.name, createdAt: c.createdAt })),
    samples: samples.map((s) => {
      const index = classIndex.get(s.classId);
      if (index === undefined)
        throw new ReefError('FAILED_PRECONDITION', `sample ${s.id} belongs to no class of the dataset`, {
          reason: 'orphan-sample',
        });
      return {
        file: `images/${index}/${s.seq}.${extensionOf(s.image.type)}`,
        class: index,
        type: s.image.type,
        source: s.source,
        createdAt: s.createdAt,
        seq: s.seq,
      };
    }),
  };
  const files: Zippable = {
    'manifest.json': [strToU8(JSON.stringify(manifest, null, 2) + '\n'), { level: 6, mtime: ENTRY_TIME }],
    'labels.txt': [strToU8(snapshot.classes.map((c) => c.name).join('\n') + '\n'), { level: 6, mtime: ENTRY_TIME }],
  };
  for (let i = 0; i < samples.length; i++) {
    const bytes = new Uint8Array(await samples[i]!.image.arrayBuffer());
    files[manifest.samples[i]!.file] = [bytes, { level: 0, mtime: ENTRY_TIME }];
  }
  return zipSync(files);
}

function bad(message: string, reason: string, cause?: unknown): ReefError {
  return new ReefError('INVALID_ARGUMENT', message, { reason, cause });
}

/**
 * What a dataset ZIP may hold. A dataset is a few thousand small images; these bound the memory
 * and time an import can take whatever the archive claims (a 100 KB bomb that expands to 5 GB,
 * 100,000 samples naming one image, 50,000 classes), with the number in the refusal.
 */
export const DATASET_LIMITS = {
  maxClasses: 1000,
  maxSamples: 20_000,
  /** Inflated bytes of one image. */
  maxImageBytes: 16 * 1024 * 1024,
  /** Inflated bytes of all entries together. */
  maxTotalBytes: 512 * 1024 * 1024,
  maxManifestBytes: 8 * 1024 * 1024,
  maxNameChars: 200,
} as const;

const ZIP_LIMITS: ZipLimits = {
  // Every sample its own image, plus manifest.json, labels.txt and a few directory entries.
  maxEntries: DATASET_LIMITS.maxSamples + 16,
  maxEntryBytes: Math.max(DATASET_LIMITS.maxImageBytes, DATASET_LIMITS.maxManifestBytes),
  maxTotalBytes: DATASET_LIMITS.maxTotalBytes,
};

const SOURCES: readonly SampleSource[] = ['camera', 'file', 'import', 'augment'];

function limit(what: string, count: number, max: number): ReefError {
  return new ReefError('RESOURCE_EXHAUSTED', `the dataset has ${count} ${what}; at most ${max} can be imported`, {
    reason: 'dataset-limit',
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function time(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw bad(`manifest.json: ${what} is not a time`, 'bad-manifest');
  return value;
}

function count(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw bad(`manifest.json: ${what} is not a whole number`, 'bad-manifest');
  return value as number;
}

function name(value: unknown, what: string): string {
  if (typeof value !== 'string') throw bad(`manifest.json: ${what} is not text`, 'bad-manifest');
  if (value.length > DATASET_LIMITS.maxNameChars)
    throw bad(`manifest.json: ${what} is longer than ${DATASET_LIMITS.maxNameChars} characters`, 'bad-manifest');
  return value;
}

/** The manifest checked field by field against the format (types, ranges, limits, references). */
function parseManifest(bytes: Uint8Array | undefined): Manifest {
  if (!bytes) throw bad('the ZIP has no manifest.json: not a Reef dataset', 'missing-manifest');
  let value: unknown;
  try {
    value = JSON.parse(strFromU8(bytes));
  } catch (cause) {
    throw bad('manifest.json is not valid JSON', 'bad-manifest', cause);
  }
  if (!isRecord(value) || value['format'] !== DATASET_ZIP_FORMAT)
    throw bad('manifest.json is not a Reef dataset manifest', 'not-a-dataset');
  const version = value['version'];
  if (typeof version !== 'number' || version > DATASET_ZIP_VERSION)
    throw new ReefError('UNIMPLEMENTED', `dataset format version ${String(version)} is newer than this Reef`, {
      reason: 'newer-format',
    });
  if (!Number.isInteger(version) || version < 1)
    throw bad(`manifest.json: version ${version} is not a dataset format version`, 'bad-manifest');
  const { classes, samples } = value;
  if (!Array.isArray(classes) || !Array.isArray(samples) || typeof value['name'] !== 'string')
    throw bad('manifest.json lacks classes, samples or name', 'bad-manifest');
  // Counts first: a manifest of 50,000 classes or 100,000 samples is refused before any is read.
  if (classes.length > DATASET_LIMITS.maxClasses) throw limit('classes', classes.length, DATASET_LIMITS.maxClasses);
  if (samples.length > DATASET_LIMITS.maxSamples) throw limit('samples', samples.length, DATASET_LIMITS.maxSamples);
  const manifest: Manifest = {
    format: DATASET_ZIP_FORMAT,
    version,
    name: name(value['name'], 'the dataset name'),
    createdAt: time(value['createdAt'], 'createdAt'),
    updatedAt: time(value['updatedAt'], 'updatedAt'),
    nextSeq: count(value['nextSeq'], 'nextSeq'),
    classes: classes.map((c: unknown, i) => {
      if (!isRecord(c)) throw bad(`manifest.json: class ${i} is not an object`, 'bad-manifest');
      return { name: name(c['name'], `class ${i}'s name`), createdAt: time(c['createdAt'], `class ${i}'s createdAt`) };
    }),
    samples: [],
  };
  const files = new Set<string>();
  const seqs = new Set<number>();
  for (const [i, s] of samples.entries()) {
    if (!isRecord(s)) throw bad(`manifest.json: sample ${i} is not an object`, 'bad-manifest');
    const file = s['file'];
    if (typeof file !== 'string' || file === 'manifest.json' || file === 'labels.txt')
      throw bad(`manifest.json: sample ${i} names no image file`, 'bad-manifest');
    // Each sample its own entry: 100,000 samples naming one image would otherwise cost one copy each.
    if (files.has(file)) throw bad(`manifest.json: samples share the image ${file}`, 'bad-manifest');
    files.add(file);
    const classIndex = count(s['class'], `sample ${i}'s class`);
    if (classIndex >= classes.length)
      throw bad(`${file} names class ${classIndex}, which does not exist`, 'bad-manifest');
    const source = s['source'];
    if (!SOURCES.includes(source as SampleSource))
      throw bad(`manifest.json: sample ${i} has an unknown source ${JSON.stringify(source)}`, 'bad-manifest');
    const seq = count(s['seq'], `sample ${i}'s seq`);
    if (seqs.has(seq)) throw bad(`manifest.json: two samples have seq ${seq}`, 'bad-manifest');
    seqs.add(seq);
    if (typeof s['type'] !== 'string') throw bad(`manifest.json: sample ${i} has no type`, 'bad-manifest');
    manifest.samples.push({
      file,
      class: classIndex,
      type: s['type'],
      source: source as SampleSource,
      createdAt: time(s['createdAt'], `sample ${i}'s createdAt`),
      seq,
    });
  }
  return manifest;
}

export interface ImportDatasetOptions {
  /** Stops the import between entries with a CANCELLED error. */
  signal?: AbortSignal;
  /** Called after each image with the images read so far and in total. */
  onProgress?: (done: number, total: number) => void;
}

/** Images read between yields to the event loop, so an abort or a progress repaint gets through. */
const YIELD_EVERY = 64;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ReefError('CANCELLED', 'the dataset import was cancelled', { reason: 'cancelled', cause: signal.reason });
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function zipFailure(error: unknown): unknown {
  if (error instanceof ReefError && error.reason === 'zip-malformed')
    return bad(`the file is not a readable ZIP: ${error.message}`, 'bad-zip', error);
  return error;
}

/**
 * Reads a dataset ZIP into a snapshot with placeholder ids (`class:<i>`, `sample:<seq>`); give it to
 * `DatasetStore.restore` to store it. Bounded: ZIP limits (DATASET_LIMITS) are checked from the
 * central directory and again while inflating, the manifest against its schema, and every sample
 * must be a PNG, JPEG, GIF, BMP or WebP image by its bytes. Typed errors name what is wrong.
 */
export async function importDatasetZip(zip: Uint8Array, options: ImportDatasetOptions = {}): Promise<DatasetSnapshot> {
  const { signal, onProgress } = options;
  checkAborted(signal);
  let entries: Map<string, ZipEntry>;
  const budget = new ZipBudget(ZIP_LIMITS.maxTotalBytes);
  let manifestBytes: Uint8Array | undefined;
  try {
    entries = new Map(listZip(zip, ZIP_LIMITS).map((e) => [e.name, e]));
    const manifestEntry = entries.get('manifest.json');
    if (manifestEntry && manifestEntry.size > DATASET_LIMITS.maxManifestBytes)
      throw limit('bytes of manifest.json', manifestEntry.size, DATASET_LIMITS.maxManifestBytes);
    manifestBytes = manifestEntry ? readZipEntry(zip, manifestEntry, budget) : undefined;
  } catch (error) {
    throw zipFailure(error);
  }
  const manifest = parseManifest(manifestBytes);
  const datasetId = 'imported';
  const classes: ClassRecord[] = manifest.classes.map((c, i) => ({
    id: `class:${i}`,
    datasetId,
    name: c.name,
    order: i,
    createdAt: c.createdAt,
  }));
  const total = manifest.samples.length;
  const samples: SampleRecord[] = [];
  for (const [i, s] of manifest.samples.entries()) {
    if (i % YIELD_EVERY === 0 && i > 0) await nextTask();
    checkAborted(signal);
    const entry = entries.get(s.file);
    if (!entry) throw bad(`manifest.json lists ${s.file}, which is not in the ZIP`, 'missing-file');
    if (entry.size > DATASET_LIMITS.maxImageBytes)
      throw limit(`bytes in ${s.file}`, entry.size, DATASET_LIMITS.maxImageBytes);
    let bytes: Uint8Array;
    try {
      bytes = readZipEntry(zip, entry, budget);
    } catch (error) {
      throw zipFailure(error);
    }
    const type = sniffImageType(bytes);
    if (!type) throw bad(`${s.file} is not a PNG, JPEG, GIF, BMP or WebP image`, 'not-an-image');
    samples.push({
      id: `sample:${s.seq}`,
      datasetId,
      classId: `class:${s.class}`,
      image: new Blob([bytes.slice().buffer], { type }),
      source: s.source,
      createdAt: s.createdAt,
      seq: s.seq,
    });
    onProgress?.(i + 1, total);
  }
  if (total === 0) onProgress?.(0, 0);
  return {
    dataset: {
      id: datasetId,
      name: manifest.name,
      createdAt: manifest.createdAt,
      updatedAt: manifest.updatedAt,
      nextSeq: manifest.nextSeq,
    },
    classes,
    samples,
  };
}
