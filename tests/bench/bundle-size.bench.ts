/**
 * App shell size: gzip of the JavaScript a first visit downloads (entry chunk, its imports and the
 * accelerator worker), against the 250 KB budget for the whole app; the training worker (tfjs) is
 * started only when the Train page trains, so it is counted apart, and so is the whole app.
 * LiteRT's runtime files are counted apart too: they are precached once, not part of the shell.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 250 * 1024;
const root = new URL('../../', import.meta.url).pathname;

execSync('npx vite build --logLevel error', { cwd: root, stdio: 'inherit' });
const assets = join(root, 'dist', 'assets');
const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
const gz = (file: string): number => gzipSync(readFileSync(file), { level: 9 }).length;

// Which chunks a first visit loads: the entry of index.html and the accelerator worker with their
// static imports. The training worker with its static imports loads when the Train page trains; the
// tfjs backends it imports dynamically (WebGL, WASM) only when that backend is started.
const staticImports = (f: string): string[] =>
  [...readFileSync(join(assets, f), 'utf8').matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)].map((m) => m[1]!);
const closure = (roots: string[]): Set<string> => {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f) || !scripts.includes(f)) return;
    seen.add(f);
    staticImports(f).forEach(visit);
  };
  roots.forEach(visit);
  return seen;
};
const entry = /src="\/assets\/([^"]+\.js)"/.exec(readFileSync(join(root, 'dist', 'index.html'), 'utf8'))?.[1];
if (!entry) throw new Error('no entry script in dist/index.html');
const shell = closure([entry, ...scripts.filter((f) => f.startsWith('accelerator.worker'))]);
const training = closure(scripts.filter((f) => f.startsWith('training.worker')));
const backends = new Set(
  scripts.filter((f) => !shell.has(f) && !training.has(f) && [...closure([f])].some((g) => training.has(g))),
);
const kind = (f: string): string =>
  shell.has(f) && !training.has(f)
    ? 'shell'
    : training.has(f)
      ? 'training worker'
      : backends.has(f)
        ? 'tfjs backend, on demand'
        : 'shell (other)';
const sums = new Map<string, number>();
for (const f of scripts) {
  const size = gz(join(assets, f));
  const k = kind(f);
  sums.set(k, (sums.get(k) ?? 0) + size);
  console.log(
    `  ${f.padEnd(48)} ${(statSync(join(assets, f)).size / 1024).toFixed(1).padStart(8)} KB raw ${(size / 1024).toFixed(1).padStart(8)} KB gzip  ${k}`,
  );
}
const shellGzip = (sums.get('shell') ?? 0) + (sums.get('shell (other)') ?? 0);
const trainingGzip = sums.get('training worker') ?? 0;
const backendGzip = sums.get('tfjs backend, on demand') ?? 0;
// Same-run baseline for the training worker: the whole @tensorflow/tfjs bundle it used to import.
const { build } = await import('esbuild');
const union = await build({
  stdin: { contents: "export * from '@tensorflow/tfjs';", resolveDir: root },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  logLevel: 'error',
});
const unionGzip = gzipSync(union.outputFiles[0]!.contents, { level: 9 }).length;
console.log(`app shell JS (gzip): ${(shellGzip / 1024).toFixed(1)} KB`);
console.log(`ratio to the 250 KB budget: ${(shellGzip / BUDGET_BYTES).toFixed(3)}x`);
console.log(
  `training worker at start (gzip): ${(trainingGzip / 1024).toFixed(1)} KB; tfjs backends on demand: ${(backendGzip / 1024).toFixed(1)} KB; ` +
    `whole @tensorflow/tfjs alone: ${(unionGzip / 1024).toFixed(1)} KB; training worker / whole tfjs: ${(trainingGzip / unionGzip).toFixed(3)}x`,
);
console.log(
  `whole app JS incl. the training worker and backends (gzip): ${((shellGzip + trainingGzip + backendGzip) / 1024).toFixed(1)} KB`,
);
const litert = join(root, 'dist', 'litert');
const threaded = ['litert_wasm_threaded_internal.js', 'litert_wasm_threaded_internal.wasm'].reduce(
  (sum, f) => sum + gz(join(litert, f)),
  0,
);
console.log(`LiteRT threaded runtime (gzip, precached separately): ${(threaded / 1024 / 1024).toFixed(2)} MB`);
