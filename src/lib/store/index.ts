export {
  DB_VERSION,
  DEFAULT_DB_NAME,
  openReefDb,
  type ClassRecord,
  type DatasetRecord,
  type EmbeddingRecord,
  type ReefDb,
  type ReefDbSchema,
  type SampleRecord,
  type SampleSource,
} from './db.ts';
export { DatasetStore, type DatasetSnapshot, type NewSample } from './datasets.ts';
export {
  DATASET_LIMITS,
  DATASET_ZIP_FORMAT,
  DATASET_ZIP_VERSION,
  exportDatasetZip,
  importDatasetZip,
  type ImportDatasetOptions,
} from './dataset-zip.ts';
export { IdbEmbeddingCache } from './embedding-cache.ts';
export {
  isQuotaError,
  requestPersistentStorage,
  storageReport,
  type StorageManagerLike,
  type StorageReport,
} from './persistence.ts';
export {
  SAMPLE_IMAGE_TYPES,
  displayImageType,
  sampleImageType,
  sniffImageType,
  type SampleImageType,
} from './sample-image.ts';
