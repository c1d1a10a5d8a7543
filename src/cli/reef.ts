/** `reef`: the Node face of Reef, on the same src/lib as the web app. */
import { ReefError } from '../lib/errors.ts';
import type { CliDeps, CliIo } from './command.ts';
import { describeFileSystemError } from './input-files.ts';
import { COMMANDS } from './commands/index.ts';
import { wantsJson } from './options.ts';

const consoleIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary ?? ''}`);
  return [
    `reef ${__REEF_VERSION__} — the Coral Edge TPU from Node and the browser`,
    '',
    'Usage: reef <command> [options]',
    '',
    'Commands:',
    ...(lines.length ? lines : ['  (none yet)']),
    '',
    'Options:',
    "  -h, --help     show this help, or a command's help with `reef <command> --help`",
    '  -v, --version  print the version',
    '',
  ].join('\n');
}

/** node-usb's WebUSB, imported only when a command opens USB (`reef --help` stays light). */
const nodeDeps: CliDeps = {
  usb: async () => (await import('./usb/node-usb.ts')).nodeUsb(),
};

export async function main(argv: string[], io: CliIo = consoleIo, deps: CliDeps = nodeDeps): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(helpText());
    return first === undefined ? 1 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.out(__REEF_VERSION__);
    return 0;
  }
  const entry = COMMANDS[first];
  if (!entry) {
    io.err(`reef: unknown command "${first}". Run \`reef --help\` for the list.`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(command.usage);
    return 0;
  }
  const json = wantsJson(rest);
  try {
    if (!json) return await command.run(rest, io, deps);
    // A usage error prints the usage on stderr; a script reading --json output gets it as JSON too.
    let printed = false;
    const code = await command.run(rest, { out: (text) => ((printed = true), io.out(text)), err: io.err }, deps);
    if (code !== 0 && !printed) io.out(jsonError('INVALID_ARGUMENT', 'usage', `see \`reef ${first} --help\``));
    return code;
  } catch (error) {
    // Typed errors are expected outcomes (bad file, no device): one clear line, no stack.
    if (error instanceof ReefError) {
      if (json) io.out(jsonError(error.code, error.reason, error.message));
      else io.err(`reef ${first}: ${error.message} [${error.code}${error.reason ? `/${error.reason}` : ''}]`);
      return 1;
    }
    // A file the user named that cannot be read is their input problem, not a crash.
    const fsError = describeFileSystemError(error);
    if (fsError) {
      if (json) io.out(jsonError('NOT_FOUND', 'file-unreadable', fsError));
      else io.err(`reef ${first}: ${fsError}`);
      return 1;
    }
    // With --json a script reads stdout: even a bug arrives as a JSON error and a failed exit.
    if (json) {
      io.out(jsonError('INTERNAL', undefined, error instanceof Error ? error.message : String(error)));
      return 1;
    }
    throw error;
  }
}

/** `{"error":{"code","reason","message"}}`: what every `--json` command prints when it fails. */
function jsonError(code: string, reason: string | undefined, message: string): string {
  return JSON.stringify({ error: { code, reason: reason ?? null, message } });
}
