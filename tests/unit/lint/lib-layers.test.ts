/**
 * The import rules inside src/lib are enforced by `npm run check` (eslint-rules/lib-layers.js):
 * run the project's own ESLint config over a fixture tree that mirrors src/lib (ignored by the
 * normal lint run and by tsc) and see it fail on each forbidden import and pass on allowed ones.
 */
import { describe, expect, it } from 'vitest';
import { lintFixture, lintRepo } from './lint-fixture.ts';

const lint = (file: string) => lintFixture('tests/unit/lint/fixtures/src/lib', file);

describe('src/lib layering (ESLint)', () => {
  it('refuses an import that goes up the layers', async () => {
    expect(await lint('tflite/imports-upward.ts')).toEqual([
      {
        rule: 'reef/lib-layers',
        message: expect.stringMatching(/^tflite may not import runtime: imports go downward/),
      },
    ]);
  });

  it("refuses a lower area's internals: only its index.ts", async () => {
    expect(await lint('runtime/imports-internals.ts')).toEqual([
      {
        rule: 'reef/lib-layers',
        message: "runtime imports edgetpu's internals (edgetpu/driver/edge-tpu.ts): go through edgetpu/index.ts.",
      },
    ]);
  });

  it('refuses an import between two areas on the same layer', async () => {
    expect(await lint('tasks/imports-sideways.ts')).toEqual([
      {
        rule: 'reef/lib-layers',
        message: expect.stringMatching(/^tasks may not import store: areas on the same layer/),
      },
    ]);
  });

  it('refuses a dynamic import up the layers', async () => {
    expect(await lint('edgetpu/imports-dynamic-upward.ts')).toEqual([
      { rule: 'reef/lib-layers', message: expect.stringMatching(/^edgetpu may not import tasks/) },
    ]);
  });

  it("passes lower areas' index.ts, the shared base and the area's own files", async () => {
    expect(await lint('runtime/imports-downward.ts')).toEqual([]);
    expect(await lint('learn/imports-tasks.ts')).toEqual([]);
  });

  it('passes the real src/lib', async () => {
    const results = await lintRepo('src/lib/**/*.ts');
    const layering = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'reef/lib-layers').map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(layering).toEqual([]);
  }, 120_000);
});
