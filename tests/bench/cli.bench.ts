/**
 * `reef` start-up and `reef run` wall time, as a user types them, against a baseline measured in
 * the same run: `node -e 0` (Node's own start). Also the same commands through tsx from the
 * TypeScript sources (how `reef` ran before it was built), and CPU time (user + system, all threads).
 * Goals (issue 17): `reef --version` ≤ 150 ms, `reef run` on a small model ≤ 400 ms wall. On a
 * shared 2-core machine wall time rises with others' load; the ratios to `node -e 0` travel better.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../support/fixtures.ts';
import { median } from './support/stats.ts';

const root = new URL('../../', import.meta.url).pathname;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
execFileSync(process.execPath, ['scripts/build-cli.js'], { cwd: root, stdio: 'inherit' });

// The pre-build launcher, for comparison: the sources through tsx's loader.
const dir = mkdtempSync(join(tmpdir(), 'reef-cli-bench-'));
const fromSource = join(dir, 'reef-from-source.mjs');
writeFileSync(
  fromSource,
  [
    `import { register } from ${JSON.stringify(join(root, 'node_modules/tsx/dist/esm/api/index.mjs'))};`,
    `globalThis.__REEF_VERSION__ = 'source';`,
    'register();',
    `const { main } = await import(${JSON.stringify(join(root, 'src/cli/reef.ts'))});`,
    'process.exitCode = await main(process.argv.slice(2));',
  ].join('\n'),
);

interface Timing {
  wall: number;
  cpu: number;
}

/** Median wall and CPU ms of `node <args>` over RUNS runs (GNU time reports the CPU). */
function time(args: string[]): Timing {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, ...args], {
      cwd: root,
      encoding: 'utf8',
    });
    walls.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
    const [, user, sys] = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr) ?? [];
    cpus.push((Number(user) + Number(sys)) * 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

try {
  const small = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
  const movenet = await fixturePath('movenet_single_pose_lightning_ptq.tflite');
  const cat = await fixturePath('cat.bmp');
  const squat = await fixturePath('squat.bmp');
  const baseline = time(['-e', '0']);
  console.log(
    `${RUNS} runs each, medians; baseline node -e 0: ${baseline.wall.toFixed(0)} ms wall, ${baseline.cpu.toFixed(0)} ms CPU`,
  );
  console.log('command'.padEnd(58), '    wall', '     CPU', ' wall/node', ' vs goal', ' built/tsx');
  const rows: [string, string[], number][] = [
    ['reef --version', ['--version'], 150],
    ['reef run mobilenet 0.25/128 cat.bmp', ['run', small, cat], 400],
    ['reef run movenet squat.bmp', ['run', movenet, squat], 400],
    ['reef run mobilenet 0.25/128 cat.bmp --repeat 50', ['run', small, cat, '--repeat', '50'], 0],
  ];
  for (const [label, args, goal] of rows) {
    const built = time(['bin/reef.js', ...args]);
    const source = time([fromSource, ...args]);
    console.log(
      label.padEnd(58),
      `${built.wall.toFixed(0)} ms`.padStart(8),
      `${built.cpu.toFixed(0)} ms`.padStart(8),
      `${(built.wall / baseline.wall).toFixed(2)}x`.padStart(10),
      (goal ? `${(built.wall / goal).toFixed(2)}x` : '—').padStart(8),
      `${(built.wall / source.wall).toFixed(2)}x`.padStart(10),
    );
  }
  console.log('goals: reef --version <= 150 ms, reef run (small model) <= 400 ms wall ("vs goal" <= 1.00x)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
