import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const version = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;

describe('reef CLI entry', () => {
  it('prints the package version', () => {
    expect(execFileSync('node', ['bin/reef.js', '--version'], { cwd: root, encoding: 'utf8' }).trim()).toBe(version);
  });

  it('prints help listing usage and options', () => {
    const out = execFileSync('node', ['bin/reef.js', '--help'], { cwd: root, encoding: 'utf8' });
    expect(out).toContain(`reef ${version}`);
    expect(out).toContain('Usage: reef <command> [options]');
    expect(out).toContain('--version');
  });

  it('rejects an unknown command with exit code 2 and a hint', () => {
    const r = spawnSync('node', ['bin/reef.js', 'frobnicate'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('reef --help');
  });

  it('names a file it cannot read with one typed line, the same from every command', () => {
    const missing = `${root}.cache/no-such-model.tflite`;
    for (const args of [
      ['inspect', missing],
      ['run', missing, missing],
    ]) {
      const r = spawnSync('node', ['bin/reef.js', ...args], { cwd: root, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `reef ${args[0]}: cannot read ${missing}: no such file or directory [NOT_FOUND/file-unreadable]`,
      );
    }
  });
});
