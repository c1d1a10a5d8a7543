/**
 * The one way tests reach fixture files: $REEF_FIXTURES, else ../shared/fixtures beside the
 * checkout, else a one-time download from the public source recorded in fixtures-manifest.json
 * (repo, commit, path; sha256 checked) into .cache/fixtures, so `npm test` works on a fresh clone.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import manifest from './fixtures-manifest.json' with { type: 'json' };

export interface FixtureEntry {
  dir: 'models' | 'images' | 'firmware';
  repo: string;
  path: string;
  commit: string;
  size: number;
  sha256: string;
}

export type FixtureName = keyof typeof manifest;
export const FIXTURES = manifest as Record<FixtureName, FixtureEntry>;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = join(repoRoot, '.cache', 'fixtures');

function localRoots(): string[] {
  const roots = [];
  if (process.env['REEF_FIXTURES']) roots.push(resolve(process.env['REEF_FIXTURES']));
  roots.push(resolve(repoRoot, '../shared/fixtures'));
  return roots;
}

export function rawUrl(entry: FixtureEntry): string {
  return `https://raw.githubusercontent.com/${entry.repo}/${entry.commit}/${entry.path}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Absolute path of a fixture, downloading it once when no local copy exists. */
export async function fixturePath(name: FixtureName): Promise<string> {
  const entry = FIXTURES[name];
  if (!entry) throw new Error(`unknown fixture ${name}`);
  for (const root of localRoots()) {
    const file = join(root, entry.dir, name);
    if (existsSync(file)) return file;
  }
  const cached = join(cacheDir, entry.dir, name);
  if (existsSync(cached)) return cached;
  const response = await fetch(rawUrl(entry));
  if (!response.ok)
    throw new Error(`fixture ${name}: download from ${rawUrl(entry)} failed with HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = sha256(bytes);
  if (digest !== entry.sha256) throw new Error(`fixture ${name}: sha256 ${digest}, expected ${entry.sha256}`);
  mkdirSync(dirname(cached), { recursive: true });
  writeFileSync(`${cached}.part`, bytes);
  renameSync(`${cached}.part`, cached);
  return cached;
}

/** Fixture bytes as a fresh Uint8Array (tests may mutate it). */
export async function readFixture(name: FixtureName): Promise<Uint8Array> {
  return new Uint8Array(readFileSync(await fixturePath(name)));
}

export async function readFixtureText(name: FixtureName): Promise<string> {
  return readFileSync(await fixturePath(name), 'utf8');
}

/** Every fixture of one kind, by file-name suffix, e.g. all `.tflite` models. */
export function fixtureNames(filter: (name: string, entry: FixtureEntry) => boolean): FixtureName[] {
  return (Object.keys(FIXTURES) as FixtureName[]).filter((n) => filter(n, FIXTURES[n]));
}
