#!/usr/bin/env node
// Entry of the `reef` command: runs the build of src/cli in dist-cli/ (made by `npm install`,
// `npm start`, `npm test` or `npm run build:cli`), so no TypeScript is transpiled at start-up.
// A checkout without the build builds it once here, when esbuild is installed.
import { existsSync } from 'node:fs';

const entry = new URL('../dist-cli/reef.js', import.meta.url);
if (!existsSync(entry)) {
  let built = false;
  try {
    process.stderr.write('reef: dist-cli/ is missing; building the CLI once (`npm run build:cli`)...\n');
    const { buildCli } = await import('../scripts/build-cli.js');
    await buildCli({ quiet: true });
    built = existsSync(entry);
  } catch (error) {
    process.stderr.write(`reef: could not build the CLI: ${error instanceof Error ? error.message : error}\n`);
  }
  if (!built) {
    process.stderr.write('reef: run `npm install` (or `npm run build:cli`) in the Reef checkout, then try again.\n');
    process.exit(1);
  }
}
// `reef run … | head -1`: a reader that stops early ends the command quietly, as for any Unix tool.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
