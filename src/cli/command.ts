/** The shape every `reef <command>` module exports. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface Command {
  name: string;
  /** One line for `reef --help`. */
  summary: string;
  /** Full usage text for `reef <command> --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}
