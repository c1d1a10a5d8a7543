/**
 * Storage durability and quota. `persist()` exists only on the page's navigator (not in workers),
 * so the functions take the StorageManager they should use.
 */

/** The part of StorageManager Reef uses; `persist` is missing in workers. */
export interface StorageManagerLike {
  persisted(): Promise<boolean>;
  persist?: () => Promise<boolean>;
  estimate(): Promise<StorageEstimate>;
}

export interface StorageReport {
  /** True when the browser promised not to evict this origin's data under storage pressure. */
  persisted: boolean;
  usageBytes: number | undefined;
  quotaBytes: number | undefined;
  /** usage / quota, 0..1, undefined when the browser does not say. */
  fraction: number | undefined;
}

function defaultManager(): StorageManagerLike | undefined {
  return typeof navigator !== 'undefined' && 'storage' in navigator ? navigator.storage : undefined;
}

/** Asks for persistent storage (no-op where unavailable). Resolves to whether storage is persistent. */
export async function requestPersistentStorage(manager = defaultManager()): Promise<boolean> {
  if (!manager) return false;
  if (await manager.persisted()) return true;
  return manager.persist ? manager.persist() : false;
}

export async function storageReport(manager = defaultManager()): Promise<StorageReport> {
  if (!manager) return { persisted: false, usageBytes: undefined, quotaBytes: undefined, fraction: undefined };
  const [persisted, estimate] = await Promise.all([manager.persisted(), manager.estimate()]);
  const { usage, quota } = estimate;
  return {
    persisted,
    usageBytes: usage,
    quotaBytes: quota,
    fraction: usage !== undefined && quota ? usage / quota : undefined,
  };
}

/** Legacy numeric DOMException code of QuotaExceededError. */
const QUOTA_EXCEEDED_CODE = 22;

/**
 * A write refused because the origin's storage is full. Recognised by name (kept when the error
 * crossed from a worker) or legacy code, never by message: IndexedDB's message is empty in Chromium,
 * and Cache Storage's is worded differently in each browser.
 */
export function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (
    name === 'QuotaExceededError' ||
    (typeof DOMException !== 'undefined' && error instanceof DOMException && code === QUOTA_EXCEEDED_CODE)
  );
}
