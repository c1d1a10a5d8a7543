/**
 * Reef's one IndexedDB database. Every store the app keeps lives in this schema; a schema change
 * is a new entry in MIGRATIONS (never an edit of an old one), so a page opened on an old database
 * upgrades it step by step and no sample is lost across versions.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';

export type SampleSource = 'camera' | 'file' | 'import' | 'augment';

export interface DatasetRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  /** Next sample sequence number: samples keep their order across export and import. */
  nextSeq: number;
}

export interface ClassRecord {
  id: string;
  datasetId: string;
  name: string;
  /** Position in the label list (index = class id of the trained model). */
  order: number;
  createdAt: number;
}

export interface SampleRecord {
  id: string;
  datasetId: string;
  classId: string;
  /** The image as the user gave it (encoded PNG/JPEG/BMP bytes with their MIME type). */
  image: Blob;
  source: SampleSource;
  createdAt: number;
  seq: number;
}

export interface EmbeddingRecord {
  sampleId: string;
  /** Identifies the extractor model (its sha256) so a different extractor never reuses vectors. */
  extractorId: string;
  vector: Float32Array;
  createdAt: number;
}

export interface ReefDbSchema extends DBSchema {
  datasets: { key: string; value: DatasetRecord };
  classes: { key: string; value: ClassRecord; indexes: { 'by-dataset': string } };
  samples: { key: string; value: SampleRecord; indexes: { 'by-dataset': string; 'by-class': string } };
  embeddings: { key: [string, string]; value: EmbeddingRecord; indexes: { 'by-sample': string } };
}

export type ReefDb = IDBPDatabase<ReefDbSchema>;
type UpgradeTx = IDBPTransaction<ReefDbSchema, StoreNames<ReefDbSchema>[], 'versionchange'>;

/** MIGRATIONS[i] upgrades a database from version i to version i + 1. */
const MIGRATIONS: ReadonlyArray<(db: ReefDb, tx: UpgradeTx) => void> = [
  (db) => {
    db.createObjectStore('datasets', { keyPath: 'id' });
    const classes = db.createObjectStore('classes', { keyPath: 'id' });
    classes.createIndex('by-dataset', 'datasetId');
    const samples = db.createObjectStore('samples', { keyPath: 'id' });
    samples.createIndex('by-dataset', 'datasetId');
    samples.createIndex('by-class', 'classId');
    const embeddings = db.createObjectStore('embeddings', { keyPath: ['sampleId', 'extractorId'] });
    embeddings.createIndex('by-sample', 'sampleId');
  },
];

export const DB_VERSION = MIGRATIONS.length;
export const DEFAULT_DB_NAME = 'reef';

/** Opens (creating or upgrading) the database. Tests pass their own name for isolation. */
export function openReefDb(name = DEFAULT_DB_NAME): Promise<ReefDb> {
  return openDB<ReefDbSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v]!(db, tx);
    },
    blocking(_current, _blocked, event) {
      // Another tab wants a newer schema: let it upgrade rather than block it forever.
      (event.target as IDBDatabase).close();
    },
  });
}
