/**
 * The images `reef run` is given: files as named, and for a directory the image files directly in
 * it (BMP, PNG, JPEG by extension), in name order so runs are repeatable. A directory without
 * images is a typed error, not a run that silently prints nothing.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ReefError } from '../../lib/errors.ts';
import { describeFileSystemError } from '../input-files.ts';

const IMAGE_EXTENSIONS = /\.(bmp|png|jpe?g)$/i;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    throw new ReefError('NOT_FOUND', describeFileSystemError(error, path) ?? `cannot read ${path}`, {
      reason: 'file-unreadable',
      cause: error,
    });
  }
}

async function imagesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => !e.isDirectory() && IMAGE_EXTENSIONS.test(e.name))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) {
    throw new ReefError('INVALID_ARGUMENT', `${dir}: no images (.bmp, .png, .jpg, .jpeg) in this directory`, {
      reason: 'no-images',
    });
  }
  return names.map((name) => join(dir, name));
}

/** Every image path the arguments name, directories expanded (`fromDirectory` if any was one). */
export async function listImages(paths: readonly string[]): Promise<{ files: string[]; fromDirectory: boolean }> {
  const files: string[] = [];
  let fromDirectory = false;
  for (const path of paths) {
    if (await isDirectory(path)) {
      files.push(...(await imagesIn(path)));
      fromDirectory = true;
    } else files.push(path);
  }
  return { files, fromDirectory };
}
