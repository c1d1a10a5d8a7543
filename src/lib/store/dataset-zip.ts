/**
 * A dataset as one ZIP: manifest.json (names, order, sources, times), labels.txt and the images
 * exactly as stored. Export is deterministic (fixed entry times, stored order, no compression of
 * already-compressed images), so export → import → export gives the same bytes.
 */
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { ReefError } from '../errors.ts';
import type { ClassRecord, SampleRecord, SampleSource } from './db.ts';
import type { DatasetSnapshot } from './datasets.ts';

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

function parseManifest(bytes: Uint8Array | undefined): Manifest {
  if (!bytes) throw bad('the ZIP has no manifest.json: not a Reef dataset', 'missing-manifest');
  let value: unknown;
  try {
    value = JSON.parse(strFromU8(bytes));
  } catch (cause) {
    throw bad('manifest.json is not valid JSON', 'bad-manifest', cause);
  }
  const m = value as Partial<Manifest> | null;
  if (!m || m.format !== DATASET_ZIP_FORMAT) throw bad('manifest.json is not a Reef dataset manifest', 'not-a-dataset');
  if (typeof m.version !== 'number' || m.version > DATASET_ZIP_VERSION)
    throw new ReefError('UNIMPLEMENTED', `dataset format version ${String(m.version)} is newer than this Reef`, {
      reason: 'newer-format',
    });
  if (!Array.isArray(m.classes) || !Array.isArray(m.samples) || typeof m.name !== 'string')
    throw bad('manifest.json lacks classes, samples or name', 'bad-manifest');
  return m as Manifest;
}

/**
 * Reads a dataset ZIP into a snapshot with placeholder ids (`class:<i>`, `sample:<seq>`); give it to
 * `DatasetStore.restore` to store it.
 */
export function importDatasetZip(zip: Uint8Array): DatasetSnapshot {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (cause) {
    throw bad('the file is not a readable ZIP', 'bad-zip', cause);
  }
  const manifest = parseManifest(files['manifest.json']);
  const datasetId = 'imported';
  const classes: ClassRecord[] = manifest.classes.map((c, i) => ({
    id: `class:${i}`,
    datasetId,
    name: String(c.name),
    order: i,
    createdAt: Number(c.createdAt),
  }));
  const samples: SampleRecord[] = manifest.samples.map((s) => {
    const bytes = files[s.file];
    if (!bytes) throw bad(`manifest.json lists ${s.file}, which is not in the ZIP`, 'missing-file');
    if (!classes[s.class]) throw bad(`${s.file} names class ${s.class}, which does not exist`, 'bad-manifest');
    return {
      id: `sample:${s.seq}`,
      datasetId,
      classId: `class:${s.class}`,
      image: new Blob([bytes.slice().buffer], { type: s.type }),
      source: s.source,
      createdAt: s.createdAt,
      seq: s.seq,
    };
  });
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
