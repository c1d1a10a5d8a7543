/**
 * Reading the files a person names on the command line. A file that cannot be read is their
 * input problem, not a crash: one typed error saying which file and why, the same from every command.
 */
import { readFile } from 'node:fs/promises';
import { ReefError } from '../lib/errors.ts';

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'not a directory',
};

/** `cannot read PATH: why` for a Node file-system error, else undefined. */
export function describeFileSystemError(error: unknown, path?: string): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path: errorPath } = error as NodeJS.ErrnoException;
  const file = path ?? errorPath;
  if (!file) return undefined;
  const reason = (code ? FS_REASONS[code] : undefined) ?? error.message;
  return `cannot read ${file}: ${reason}`;
}

function unreadable(path: string, error: unknown): ReefError {
  return new ReefError('NOT_FOUND', describeFileSystemError(error, path) ?? `cannot read ${path}: ${String(error)}`, {
    reason: 'file-unreadable',
    cause: error,
  });
}

export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw unreadable(path, error);
  }
}

export async function readInputText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
}
