/**
 * src/app is organised by feature, and `npm run check` keeps it so (eslint.config.js): a feature
 * may import src/app/shared and its own files, never another feature's. Run the project's ESLint
 * config over a fixture feature (ignored by the normal lint run and by tsc).
 */
import { describe, expect, it } from 'vitest';
import { lintFixture, lintRepo } from './lint-fixture.ts';

const lint = (file: string) => lintFixture('tests/unit/lint/fixtures/src/app/features', file);

describe('src/app features (ESLint)', () => {
  it("refuses an import of another feature's files", async () => {
    expect(await lint('kiosk/imports-live.ts')).toEqual([
      {
        rule: 'no-restricted-imports',
        message: expect.stringMatching(
          /A feature does not import another feature: move what both use to src\/app\/shared/,
        ),
      },
    ]);
  });

  it('passes shared/ and the feature’s own files', async () => {
    expect(await lint('kiosk/imports-shared.ts')).toEqual([]);
  });

  it('passes the real src/app', async () => {
    const results = await lintRepo('src/app/features/**/*.ts');
    expect(results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports'))).toEqual([]);
  });
});
