/**
 * Vitest global setup: tests that spawn `bin/reef.js` run the CLI's build in dist-cli/, so it is
 * rebuilt from the current sources once per test run (a stale build would test old code).
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const root = new URL('../../', import.meta.url).pathname;
  const r = spawnSync(process.execPath, ['scripts/build-cli.js', '--quiet'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the CLI (scripts/build-cli.js) failed:\n${r.stderr}${r.stdout}`);
}
