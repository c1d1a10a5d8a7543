/**
 * scripts/dead-exports.js on a small fixture tree: a name re-exported by an index but imported by
 * nobody is dead code; names used by a Svelte page or a test are used; a name used only in its own
 * file is listed apart; generated code is never listed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/dead-exports.js', import.meta.url));
const tree = fileURLToPath(new URL('./fixtures/dead-exports', import.meta.url));

async function run(...args: string[]): Promise<{ code: number; lines: string[] }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--root', tree, ...args]);
    return { code: 0, lines: stdout.trim().split('\n') };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, lines: failed.stdout.trim().split('\n') };
  }
}

describe('dead-exports script', () => {
  it('fails on a name nobody uses and lists names used only in their own file apart', async () => {
    const { code, lines } = await run();
    expect(code).toBe(1);
    expect(lines).toEqual([
      'exported, never used (dead code): 1',
      '  src/shapes/area.ts:15  neverCalled',
      'exported, used only in their own file (the export can go): 2',
      '  src/shapes/area.ts:2  UNIT',
      '  src/shapes/area.ts:6  area',
    ]);
  });

  it('adds interfaces and type aliases with --types', async () => {
    const { lines } = await run('--types');
    expect(lines).toContain('  src/shapes/area.ts:3  Square');
    expect(lines.join('\n')).not.toMatch(/generated|perimeter|describe/);
  });
});
