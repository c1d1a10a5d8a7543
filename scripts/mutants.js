#!/usr/bin/env node
// `npm run mutants`: can the unit tests catch a driver bug? Each mutant is one plausible mistake
// in src/lib/edgetpu (issue 12 §3), applied by exact string replacement; the relevant vitest files
// run against it and the file is put back. A mutant is killed when a test that passes on the
// unmodified code fails with the mutation. Prints "N/3 mutants killed" and which tests killed each.
//
// Other people may be editing the same tree, so the mutation lives on disk only while its tests
// run; it is undone from an in-memory copy of the exact original text, in `finally`, on exit and on
// SIGINT/SIGTERM/SIGHUP. If the file changed during the window, only the mutated snippet is undone.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const RUN_LIMIT_MS = 5 * 60_000;

const MUTANTS = [
  {
    name: 'signed flip removed from outputs',
    file: 'src/lib/edgetpu/driver/relayout.ts',
    find: '  flipSigned(layer, user);\n  return user;\n',
    replace: '  return user;\n',
    tests: ['tests/unit/edgetpu/driver.test.ts'],
  },
  {
    name: 'tile column order mirrored in the output gather',
    file: 'src/lib/edgetpu/driver/relayout.ts',
    find: 't.xTile[x]!',
    replace: 't.xTile[layer.xDim - 1 - x]!',
    tests: ['tests/unit/edgetpu/driver.test.ts'],
  },
  {
    name: 'descr_ep (open sequence step 19) moved from 0x4c148 to 0x4c140',
    file: 'src/lib/edgetpu/usb/registers.ts',
    find: '  descr_ep: 0x4c148,\n',
    replace: '  descr_ep: 0x4c140,\n',
    tests: ['tests/unit/edgetpu/driver.test.ts'],
  },
];

const count = (text, part) => text.split(part).length - 1;

/** The mutation currently on disk, if any. */
let active;
/** The vitest run in progress, if any. */
let child;

function restore() {
  if (!active) return;
  const { path, original, mutated, mutant } = active;
  active = undefined;
  const now = readFileSync(path, 'utf8');
  if (now === original) return;
  if (now === mutated) {
    writeFileSync(path, original);
    return;
  }
  if (count(now, mutant.replace) === 1) {
    writeFileSync(
      path,
      now.replace(mutant.replace, () => mutant.find),
    );
    console.error(`mutants: ${mutant.file} was edited during the mutant window; only the mutation was undone`);
    return;
  }
  const backup = `${path}.mutants-original`;
  writeFileSync(backup, original);
  console.error(`mutants: could not undo the mutation in ${mutant.file} safely; the original text is in ${backup}`);
  process.exitCode = 2;
}

process.on('exit', restore);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    restore();
    child?.kill('SIGTERM');
    process.exit(130);
  });
}

/** Runs vitest on `files`; returns test name → passed, plus files that failed outside any test. */
async function runTests(files, workDir, label) {
  const json = join(workDir, `${label}.json`);
  rmSync(json, { force: true });
  const stderr = [];
  const status = await new Promise((resolve) => {
    child = spawn('npx', ['vitest', 'run', ...files, '--reporter=json', `--outputFile=${json}`], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      child = undefined;
      resolve(code ?? 1);
    });
  });
  if (!existsSync(json)) {
    throw new Error(`vitest (${label}) exited ${status} without a report:\n${Buffer.concat(stderr).toString()}`);
  }
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const results = new Map();
  const brokenFiles = [];
  for (const file of report.testResults) {
    const name = relative(root, file.name);
    if (file.assertionResults.length === 0 && file.status === 'failed') brokenFiles.push(name);
    for (const test of file.assertionResults) results.set(`${name} > ${test.fullName}`, test.status === 'passed');
  }
  return { results, brokenFiles };
}

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), 'reef-mutants-'));
  try {
    // Check every pattern before touching anything.
    const sources = new Map();
    for (const mutant of MUTANTS) {
      const path = join(root, mutant.file);
      const text = sources.get(path) ?? readFileSync(path, 'utf8');
      sources.set(path, text);
      const n = count(text, mutant.find);
      if (n !== 1)
        throw new Error(
          `mutant "${mutant.name}": pattern ${JSON.stringify(mutant.find)} found ${n}× in ${mutant.file}`,
        );
    }
    const allFiles = [...new Set(MUTANTS.flatMap((m) => m.tests))];
    console.log(`baseline: ${allFiles.join(', ')} on the unmodified code`);
    const baseline = await runTests(allFiles, workDir, 'baseline');
    const green = [...baseline.results].filter(([, passed]) => passed).map(([name]) => name);
    const red = baseline.results.size - green.length;
    console.log(`  ${green.length} passing tests${red ? `, ${red} already failing (not counted as kills)` : ''}`);
    if (baseline.brokenFiles.length) throw new Error(`test files fail to load: ${baseline.brokenFiles.join(', ')}`);

    let killed = 0;
    for (const [i, mutant] of MUTANTS.entries()) {
      const path = join(root, mutant.file);
      const original = readFileSync(path, 'utf8');
      if (count(original, mutant.find) !== 1) throw new Error(`mutant "${mutant.name}": pattern no longer found once`);
      const mutated = original.replace(mutant.find, () => mutant.replace);
      console.log(`\nmutant ${i + 1}/${MUTANTS.length}: ${mutant.name} (${mutant.file})`);
      let run;
      active = { path, original, mutated, mutant };
      writeFileSync(path, mutated);
      const started = Date.now();
      try {
        run = await runTests(mutant.tests, workDir, `mutant-${i + 1}`);
      } finally {
        restore();
      }
      console.log(`  mutation on disk for ${((Date.now() - started) / 1000).toFixed(1)} s, restored`);
      const killers = [...run.results]
        .filter(([name, passed]) => !passed && baseline.results.get(name) === true)
        .map(([name]) => name);
      killers.push(...run.brokenFiles.map((file) => `${file} (fails to load)`));
      if (killers.length > 0) {
        killed++;
        console.log(`  KILLED by ${killers.length} test(s):`);
        for (const name of killers) console.log(`    ${name}`);
      } else {
        console.log('  SURVIVED: every relevant test still passes');
      }
    }
    console.log(`\n${killed}/${MUTANTS.length} mutants killed`);
    if (killed < MUTANTS.length) process.exitCode = 1;
  } finally {
    restore();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  restore();
  console.error(`mutants: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
