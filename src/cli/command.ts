/** The shape every `reef <command>` module exports. */
import type { UsbHostLike } from '../lib/edgetpu/index.ts';

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
  run(args: string[], io: CliIo, deps?: CliDeps): Promise<number>;
}

/**
 * What the CLI reaches outside the process through, handed in by the entry point: the shipped
 * `reef` always gets node-usb's WebUSB (reef.ts); a test passes an emulated bus to run the real
 * commands in-process. Nothing in the product switches to a test double.
 */
export interface CliDeps {
  /** The USB host the Coral commands use, opened on first need. */
  usb: () => Promise<UsbHostLike>;
}
