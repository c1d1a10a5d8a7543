/**
 * Image folders for `reef train` and `reef quantize`: one sub-folder per class (sorted by name),
 * BMP/PNG/JPEG files inside, decoded with the same code `reef run` uses.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ReefError } from '../lib/errors.ts';
import type { RgbaImage } from '../lib/tasks/index.ts';
import { decodeImageFile } from './image-file.ts';

const IMAGE_EXTENSIONS = new Set(['.bmp', '.png', '.jpg', '.jpeg']);

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    throw new ReefError('NOT_FOUND', `cannot read folder ${dir}: ${error instanceof Error ? error.message : error}`, {
      reason: 'folder-unreadable',
    });
  }
}

async function imagesIn(dir: string): Promise<{ files: string[]; images: RgbaImage[] }> {
  const files = (await listDir(dir)).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()));
  const images: RgbaImage[] = [];
  for (const f of files) images.push(decodeImageFile(new Uint8Array(await readFile(join(dir, f))), join(dir, f)));
  return { files, images };
}

export interface ClassFolders {
  classes: string[];
  images: RgbaImage[];
  labels: Int32Array;
  files: string[];
}

export async function readClassFolders(dir: string): Promise<ClassFolders> {
  const classes: string[] = [];
  const images: RgbaImage[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  for (const name of await listDir(dir)) {
    if (!(await stat(join(dir, name))).isDirectory()) continue;
    const found = await imagesIn(join(dir, name));
    if (!found.images.length) continue;
    classes.push(name);
    images.push(...found.images);
    files.push(...found.files.map((f) => join(name, f)));
    labels.push(...found.images.map(() => classes.length - 1));
  }
  if (classes.length < 2)
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${dir} needs at least 2 sub-folders of images (one per class); found ${classes.length}`,
      { reason: 'too-few-classes' },
    );
  return { classes, images, labels: Int32Array.from(labels), files };
}

/** Every image in `dir` and its sub-folders (representative data has no classes). */
export async function readAllImages(dir: string): Promise<RgbaImage[]> {
  const found = await imagesIn(dir);
  const images = [...found.images];
  for (const name of await listDir(dir))
    if ((await stat(join(dir, name))).isDirectory()) images.push(...(await readAllImages(join(dir, name))));
  if (!images.length)
    throw new ReefError('INVALID_ARGUMENT', `no BMP, PNG or JPEG images in ${dir}`, { reason: 'no-images' });
  return images;
}
