#!/usr/bin/env node
// Entry of the `reef` command: runs the TypeScript sources of src/cli through tsx's loader,
// so the CLI and the browser share one src/lib without a separate build step.
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
globalThis.__REEF_VERSION__ = pkg.version;
register();
const { main } = await import('../src/cli/reef.ts');
process.exitCode = await main(process.argv.slice(2));
