/**
 * What the Models page checks before it reads a file a person dropped: its size against Reef's
 * limit and the room the browser still gives this origin. Refusing up front beats a Cache Storage
 * `put` that fails minutes later, after the whole file went through memory twice.
 */
import { formatBytes } from './format.ts';

/**
 * The largest file the Models page imports (README, "The app"). The Edge TPU holds 8 MB of
 * parameters and Coral's largest published models are about 40 MB; a bigger file is a mistake.
 */
export const MAX_IMPORT_BYTES = 128 * 1024 * 1024;

/** Cache Storage keeps a little beside the bytes (headers, index): leave this much spare. */
const STORAGE_MARGIN_BYTES = 1024 * 1024;

export interface FileSize {
  name: string;
  size: number;
}

/** Free room from `navigator.storage.estimate()`, undefined when the browser does not say. */
export async function freeStorageBytes(
  storage: Pick<StorageManager, 'estimate'> | undefined,
): Promise<number | undefined> {
  if (!storage) return undefined;
  try {
    const { usage, quota } = await storage.estimate();
    return quota === undefined ? undefined : Math.max(0, quota - (usage ?? 0));
  } catch {
    return undefined;
  }
}

/** Why these files cannot be imported, or undefined when they can. */
export function importRefusal(files: readonly FileSize[], freeBytes: number | undefined): string | undefined {
  const tooBig = files.find((f) => f.size > MAX_IMPORT_BYTES);
  if (tooBig)
    return `${tooBig.name} is ${formatBytes(tooBig.size)}: Reef imports files up to ${formatBytes(MAX_IMPORT_BYTES)}. Is it really a model or label file?`;
  const empty = files.find((f) => f.size === 0);
  if (empty) return `${empty.name} is empty.`;
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const what = files.length === 1 ? `${files[0]!.name} needs` : `these ${files.length} files need`;
  return storageRefusal(what, total, freeBytes);
}

/** Why `bytes` more cannot be stored (`what` reads "x needs"), or undefined when they fit. */
export function storageRefusal(what: string, bytes: number, freeBytes: number | undefined): string | undefined {
  if (freeBytes === undefined || bytes + STORAGE_MARGIN_BYTES <= freeBytes) return undefined;
  return `Not enough storage: ${what} ${formatBytes(bytes)}, and the browser lets Reef store only ${formatBytes(freeBytes)} more. Delete stored files you no longer need, or free space on this device, and try again.`;
}
