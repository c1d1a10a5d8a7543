/** Runs the project's own ESLint config over a fixture tree (ignored by `eslint .`) or the real one. */
import { ESLint } from 'eslint';

const root = new URL('../../../', import.meta.url).pathname;

/** The rule and message of every finding in `<fixtures>/<file>` (fixtures relative to the repo). */
export async function lintFixture(fixtures: string, file: string): Promise<{ rule: string | null; message: string }[]> {
  // ignore: false lints the fixture tree although the config ignores it for `eslint .`.
  const eslint = new ESLint({ cwd: root, ignore: false });
  const [result] = await eslint.lintFiles([`${fixtures}/${file}`]);
  return result!.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

/** ESLint's results for the real tree's `pattern` under the project's config. */
export async function lintRepo(pattern: string): Promise<ESLint.LintResult[]> {
  return new ESLint({ cwd: root }).lintFiles([pattern]);
}
