/**
 * Firmware for `reef flash`/`run`/`bench`: a file the user gives (checked against the pinned
 * sha256), or the zoo's pinned copy of apex_latest_single_ep.bin, downloaded once and kept in the
 * user's cache directory.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { checkFirmware } from '../../lib/edgetpu/index.ts';
import { FIRMWARE_FILE, fetchPinnedFile, type CachedFileInfo, type FileCache } from '../../lib/zoo/index.ts';

/** Zoo files on disk: `<cache>/reef/files/<sha256>`. */
export class DiskFileCache implements FileCache {
  readonly dir: string;
  constructor(dir = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reef', 'files')) {
    this.dir = dir;
  }
  async get(sha256: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.dir, sha256)));
    } catch {
      return undefined; // not cached yet
    }
  }
  async has(sha256: string): Promise<boolean> {
    return (await this.get(sha256)) !== undefined;
  }
  async put(bytes: Uint8Array, info: CachedFileInfo): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, info.sha256);
    await writeFile(`${file}.part`, bytes);
    await rename(`${file}.part`, file);
  }
  async delete(sha256: string): Promise<boolean> {
    try {
      await rm(join(this.dir, sha256));
      return true;
    } catch {
      return false; // nothing to delete
    }
  }
  async list(): Promise<CachedFileInfo[]> {
    try {
      return (await readdir(this.dir))
        .filter((n) => /^[0-9a-f]{64}$/.test(n))
        .map((sha256) => ({ sha256, name: sha256, sizeBytes: 0, source: 'disk', storedAt: 0 }));
    } catch {
      return [];
    }
  }
}

export async function loadFirmware(file: string | undefined, log: (line: string) => void): Promise<Uint8Array> {
  if (file) {
    const bytes = new Uint8Array(await readFile(file));
    await checkFirmware(bytes);
    return bytes;
  }
  const cache = new DiskFileCache();
  const cached = await cache.has(FIRMWARE_FILE.sha256);
  if (!cached) log(`downloading ${FIRMWARE_FILE.name} (${FIRMWARE_FILE.sizeBytes} bytes, sha256 pinned)…`);
  return fetchPinnedFile(FIRMWARE_FILE, { cache });
}
