export {
  CATALOG,
  DEFAULT_BASE_URL,
  FIRMWARE_FILE,
  type ZooEntry,
  type ZooFile,
  type ZooFileRole,
  type ZooTask,
} from './catalog.ts';
export {
  fetchPinnedFile,
  fileUrl,
  importFile,
  storePinnedFile,
  type DownloadOptions,
  type DownloadProgress,
} from './download.ts';
export { sha256Hex } from '../sha256.ts';
export { CacheStorageFileCache, MemoryFileCache, type CachedFileInfo, type FileCache } from './file-cache.ts';
