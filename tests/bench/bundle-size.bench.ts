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
const isOnDemand = (f: string): boolean => f.startsWith('training.worker');
const gz = (file: string): number => gzipSync(readFileSync(file), { level: 9 }).length;
let shellGzip = 0;
let onDemandGzip = 0;
for (const f of scripts) {
  const size = gz(join(assets, f));
  if (isOnDemand(f)) onDemandGzip += size;
  else shellGzip += size;
  console.log(
    `  ${f.padEnd(48)} ${(statSync(join(assets, f)).size / 1024).toFixed(1).padStart(8)} KB raw ${(size / 1024).toFixed(1).padStart(8)} KB gzip${isOnDemand(f) ? '  (on demand)' : ''}`,
  );
}
const litert = join(root, 'dist', 'litert');
const threaded = ['litert_wasm_threaded_internal.js', 'litert_wasm_threaded_internal.wasm'].reduce(
  (sum, f) => sum + gz(join(litert, f)),
  0,
);
console.log(`app shell JS (gzip): ${(shellGzip / 1024).toFixed(1)} KB`);
console.log(`ratio to the 250 KB budget: ${(shellGzip / BUDGET_BYTES).toFixed(3)}x`);
console.log(
  `whole app JS incl. the training worker (gzip): ${((shellGzip + onDemandGzip) / 1024).toFixed(1)} KB, ` +
    `ratio to the budget: ${((shellGzip + onDemandGzip) / BUDGET_BYTES).toFixed(3)}x`,
);
console.log(`LiteRT threaded runtime (gzip, precached separately): ${(threaded / 1024 / 1024).toFixed(2)} MB`);
