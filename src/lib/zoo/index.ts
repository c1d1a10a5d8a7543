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
  sha256Hex,
  type DownloadOptions,
  type DownloadProgress,
} from './download.ts';
export { CacheStorageFileCache, MemoryFileCache, type CachedFileInfo, type FileCache } from './file-cache.ts';
