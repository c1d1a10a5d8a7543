#!/usr/bin/env node
// Builds the `reef` CLI (src/cli) into dist-cli/ with esbuild, so the command starts without
// transpiling TypeScript (tsx took ~0.5 s of every start). Commands stay separate chunks, loaded
// on demand, and npm packages stay external (resolved from node_modules at run time), so
// `reef --version` loads neither LiteRT nor tfjs nor node-usb.
//
// Run by `npm install` (prepare), `npm start`, `npm test` (vitest global setup) and `npm run bench`.
// Other processes may be running the CLI while this rebuilds it (tests in parallel): every file is
// written beside its target and renamed into place, chunks first and the entry last, so a reader
// sees either the old build or the new one, never half a file.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));
export const outDir = join(root, 'dist-cli');
export const entryFile = join(outDir, 'reef.js');

/** Chunks unreferenced by the current build are removed once nobody can still be loading them. */
const STALE_CHUNK_MS = 10 * 60_000;

export async function buildCli({ quiet = false } = {}) {
  const started = performance.now();
  const { build } = await import('esbuild');
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const result = await build({
    absWorkingDir: root,
    entryPoints: { reef: 'src/cli/reef.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    define: { __REEF_VERSION__: JSON.stringify(version) },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    write: false,
    outdir: outDir,
    logLevel: 'warning',
    legalComments: 'none',
  });
  mkdirSync(join(outDir, 'chunks'), { recursive: true });
  const tmp = `.tmp-${process.pid}`;
  const place = (file) => {
    writeFileSync(`${file.path}${tmp}`, file.contents);
    renameSync(`${file.path}${tmp}`, file.path);
  };
  const isEntry = (path) => path === entryFile || path === `${entryFile}.map`;
  for (const file of result.outputFiles.filter((f) => !isEntry(f.path))) place(file);
  for (const file of result.outputFiles.filter((f) => isEntry(f.path))) place(file);
  const current = new Set(result.outputFiles.map((f) => basename(f.path)));
  for (const name of readdirSync(join(outDir, 'chunks'))) {
    const path = join(outDir, 'chunks', name);
    if (!current.has(name) && Date.now() - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true });
  }
  if (!quiet) {
    const ms = Math.round(performance.now() - started);
    console.log(`reef CLI built into dist-cli/ (${result.outputFiles.length} files, ${ms} ms)`);
  }
  return result;
}

export function cliBuilt() {
  return existsSync(entryFile);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCli({ quiet: process.argv.includes('--quiet') });
}
