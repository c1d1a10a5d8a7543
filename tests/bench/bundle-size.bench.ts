/**
 * App shell size: gzip of the JavaScript a first visit downloads (entry chunk, its imports and the
 * accelerator worker), against the 250 KB budget for the whole app. LiteRT's runtime files are
 * counted apart: they are precached once, not part of the shell.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 250 * 1024;
const root = new URL('../../', import.meta.url).pathname;

execSync('npx vite build --logLevel error', { cwd: root, stdio: 'inherit' });
const assets = join(root, 'dist', 'assets');
const shell = readdirSync(assets).filter((f) => f.endsWith('.js'));
const gz = (file: string): number => gzipSync(readFileSync(file), { level: 9 }).length;
let shellGzip = 0;
for (const f of shell) {
  const size = gz(join(assets, f));
  shellGzip += size;
  console.log(
    `  ${f.padEnd(48)} ${(statSync(join(assets, f)).size / 1024).toFixed(1).padStart(8)} KB raw ${(size / 1024).toFixed(1).padStart(8)} KB gzip`,
  );
}
const litert = join(root, 'dist', 'litert');
const threaded = ['litert_wasm_threaded_internal.js', 'litert_wasm_threaded_internal.wasm'].reduce(
  (sum, f) => sum + gz(join(litert, f)),
  0,
);
console.log(`app shell JS (gzip): ${(shellGzip / 1024).toFixed(1)} KB`);
console.log(`ratio to the 250 KB budget: ${(shellGzip / BUDGET_BYTES).toFixed(3)}x`);
console.log(`LiteRT threaded runtime (gzip, precached separately): ${(threaded / 1024 / 1024).toFixed(2)} MB`);
