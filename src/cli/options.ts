/**
 * Option parsing for every `reef` command: node:util's parseArgs, with its errors turned into one
 * typed line that names the option ("unknown option --jsn; did you mean --json?"), so a typo never
 * runs a command with a default the user did not ask for.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ReefError } from '../lib/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Edit distance, enough to suggest the option a typo meant. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The known option closest to `given` (`--jsn` → `--json`), if one is close enough to be a typo. */
export function closestOption(given: string, known: readonly string[]): string | undefined {
  const bare = given.replace(/^-+/, '').split('=')[0] ?? '';
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(bare, name);
    if (!best || d < best.d) best = { name, d };
  }
  const limit = Math.max(1, Math.min(3, Math.floor(bare.length / 3)));
  return best && best.d <= limit ? `--${best.name}` : undefined;
}

function optionName(message: string): string | undefined {
  return /'(-[^']*)'/.exec(message)?.[1];
}

/** Turns parseArgs' own errors (unknown option, missing value, stray argument) into typed ones. */
export function optionError(error: unknown, known: readonly string[]): ReefError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  const name = optionName(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && name) {
    const hint = closestOption(name, known);
    const choices = known.filter((k) => k !== 'help').map((k) => `--${k}`);
    return new ReefError(
      'INVALID_ARGUMENT',
      `unknown option ${name}; ${hint ? `did you mean ${hint}?` : `the options are ${choices.join(', ')}`}`,
      { reason: 'unknown-option' },
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name) {
    const value = message.includes('argument missing') ? 'needs a value' : 'takes no value';
    return new ReefError('INVALID_ARGUMENT', `option ${name.split(' ')[0]} ${value}`, { reason: 'bad-option-value' });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const extra = /'([^']*)'/.exec(message)?.[1];
    return new ReefError('INVALID_ARGUMENT', `unexpected argument${extra ? ` "${extra}"` : ''}`, {
      reason: 'unexpected-argument',
    });
  }
  return new ReefError('INVALID_ARGUMENT', message.split('. ')[0] ?? message, { reason: 'bad-option' });
}

/** parseArgs with strict checking and typed errors; `--help` is always known. */
export function parseOptions<T extends ParseArgsConfig & { options: Options }>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (error) {
    throw optionError(error, [...Object.keys(config.options), 'help']) ?? error;
  }
}

/** Whether the user asked for JSON, read without parsing (so even an options error can be JSON). */
export function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}
