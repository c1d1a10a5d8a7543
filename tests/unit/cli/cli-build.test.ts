/**
 * The `reef` command runs a build of src/cli (dist-cli/, made by the vitest global setup here), not
 * TypeScript through tsx: start-up loads no npm package, each command loads only its own (tfjs for
 * train/quantize, node-usb only when a Coral is opened), and a checkout without the build gets it
 * built on first use.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const dist = join(root, 'dist-cli');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Bare specifiers (npm packages, node: builtins) reached through static imports from `file`. */
function staticPackages(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const code = readFileSync(path, 'utf8');
    for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[^"'();]*?\sfrom\s*)?["']([^"']+)["']/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(path), spec));
      else packages.add(spec);
    }
  };
  visit(file);
  return packages;
}

/** The chunk file `reef.js` imports dynamically for `command`. */
function commandChunk(command: string): string {
  const entry = readFileSync(join(dist, 'reef.js'), 'utf8');
  const m = new RegExp(`import\\("\\./(chunks/${command}-[^"]+\\.js)"\\)`).exec(entry);
  if (!m) throw new Error(`no chunk for ${command} in dist-cli/reef.js`);
  return join(dist, m[1]!);
}

describe('the compiled reef CLI', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'reef-cli-build-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('bin/reef.js runs dist-cli/reef.js, and start-up imports no npm package', () => {
    expect(readFileSync(join(root, 'bin/reef.js'), 'utf8')).not.toMatch(/tsx/);
    expect(existsSync(join(dist, 'reef.js'))).toBe(true);
    const packages = [...staticPackages(join(dist, 'reef.js'))];
    expect(packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });

  it('each command loads only what it needs: LiteRT for run, tfjs for train and quantize, never node-usb up front', () => {
    const run = staticPackages(commandChunk('run'));
    expect(run.has('@litertjs/core')).toBe(true);
    expect([...run].filter((p) => p.startsWith('@tensorflow/') || p === 'usb')).toEqual([]);
    const inspect = staticPackages(commandChunk('inspect'));
    expect([...inspect].filter((p) => p.startsWith('@tensorflow/') || p === 'usb' || p === '@litertjs/core')).toEqual(
      [],
    );
    for (const command of ['train', 'quantize']) {
      expect(staticPackages(commandChunk(command)).has('@tensorflow/tfjs')).toBe(true);
    }
    for (const command of ['list', 'flash', 'bench', 'doctor', 'run']) {
      expect(staticPackages(commandChunk(command)).has('usb')).toBe(false);
    }
  });

  it('a checkout without dist-cli/ builds it on first use, says so on stderr, then runs', () => {
    // A copy of the package's entry points beside the real sources and node_modules.
    mkdirSync(join(tmp, 'bin'));
    mkdirSync(join(tmp, 'scripts'));
    copyFileSync(join(root, 'bin/reef.js'), join(tmp, 'bin/reef.js'));
    copyFileSync(join(root, 'scripts/build-cli.js'), join(tmp, 'scripts/build-cli.js'));
    copyFileSync(join(root, 'package.json'), join(tmp, 'package.json'));
    symlinkSync(join(root, 'src'), join(tmp, 'src'));
    symlinkSync(join(root, 'node_modules'), join(tmp, 'node_modules'));
    const first = spawnSync(process.execPath, ['bin/reef.js', '--version'], { cwd: tmp, encoding: 'utf8' });
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toBe(version);
    expect(first.stderr).toContain('dist-cli/ is missing; building the CLI once');
    expect(existsSync(join(tmp, 'dist-cli/reef.js'))).toBe(true);
    const second = spawnSync(process.execPath, ['bin/reef.js', '--version'], { cwd: tmp, encoding: 'utf8' });
    expect(second.stdout.trim()).toBe(version);
    expect(second.stderr).toBe('');
  });
});
