import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;

describe('npm run codegen', () => {
  it('committed generated code equals what flatc makes from the schemas (--check)', () => {
    const r = spawnSync('node', ['scripts/codegen.js', '--check'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/codegen check: \d+ generated files up to date/);
  });
});
