#!/usr/bin/env node
// `npm run bench`: runs every tests/bench/*.bench.ts as its own process (one at a time, so they do
// not compete for the 2 cores), or only those whose name contains an argument: `npm run bench -- driver`.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const filters = process.argv.slice(2);
const dir = new URL('../tests/bench/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', new URL(file, dir).pathname], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`!!! ${file} exited with ${result.status ?? result.signal}`);
  }
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
