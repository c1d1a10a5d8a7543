/** Temporary files of the hostile suite: generated inputs are written to os.tmpdir(), never the repo. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh directory removed after the file's tests; `put` writes one input and returns its path. */
export function workdir(prefix: string): { put(name: string, bytes: Uint8Array): string } {
  const dir = mkdtempSync(join(tmpdir(), `reef-hostile-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    put(name, bytes) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
  };
}

/** Model bytes with an archive appended after them (how label ZIPs travel). */
export function appended(model: Uint8Array, zip: Uint8Array): Uint8Array {
  const out = new Uint8Array(model.length + zip.length);
  out.set(model);
  out.set(zip, model.length);
  return out;
}
