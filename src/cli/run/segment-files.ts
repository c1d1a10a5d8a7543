/**
 * Which of `reef run`'s arguments are a model compiled in segments (`*_segment_K_of_N_edgetpu.tflite`)
 * and which are images. A set is given either file by file (`seg_0_of_2 seg_1_of_2 image…`) or by
 * any one of its files, the others then found beside it by name. Only the names are looked at here:
 * whether the files make one model (every K once, each cut's tensors agreeing) is the lib's
 * checkSegmentSet, so a set missing a file fails there, with the same message as in the app.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { segmentOf, type SegmentFile } from '../../lib/edgetpu/index.ts';
import { readInputFile } from '../input-files.ts';

export interface SegmentArgs {
  /** Paths of the set's files as found (order and completeness are checked on load). */
  files: string[];
  /** The remaining arguments: images and directories. */
  images: string[];
}

/**
 * Files in `dir` of the same set as `name`, `name` always among them: a file that cannot be read
 * (or a directory that cannot be listed) is then reported as that file's error.
 */
async function siblings(dir: string, name: string): Promise<string[]> {
  const own = segmentOf(name)!;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [name];
  }
  const set = entries.filter((entry) => {
    const seg = segmentOf(entry);
    return seg !== undefined && seg.set === own.set && seg.count === own.count;
  });
  return [...new Set([name, ...set])].sort();
}

/**
 * The segment set `positionals` start with, or undefined when the first argument is not a segment
 * file (a single-file model). Leading arguments named as segments are the set; when that is one
 * file, its siblings in the same directory complete it.
 */
export async function segmentArgs(positionals: readonly string[]): Promise<SegmentArgs | undefined> {
  const first = positionals[0];
  if (first === undefined || !segmentOf(basename(first))) return undefined;
  let end = 1;
  while (end < positionals.length && segmentOf(basename(positionals[end]!))) end++;
  const named = positionals.slice(0, end);
  const images = positionals.slice(end);
  if (named.length > 1) return { files: named, images };
  const dir = dirname(first);
  return { files: (await siblings(dir, basename(first))).map((name) => join(dir, name)), images };
}

/** The set's files read, each named by its file name (what checkSegmentSet orders by). */
export async function readSegmentFiles(paths: readonly string[]): Promise<SegmentFile[]> {
  return Promise.all(paths.map(async (path) => ({ name: basename(path), bytes: await readInputFile(path) })));
}
