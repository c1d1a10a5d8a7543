/**
 * The host's picture of the weights on the chip (protocol §4.8): a caching token and the set of
 * parameter-caching executables whose weights are resident. Co-compiled models share a token, so
 * alternating them uploads nothing; any other token, or a stand-alone run, evicts everything.
 */
import type { ProgramExecutable, TpuProgram } from './program.ts';

export class ParameterCache {
  #token = '0';
  readonly #cached = new Set<ProgramExecutable>();

  /** Before running `program`: returns the parameter-caching executable to run first, if any. */
  plan(program: TpuProgram): ProgramExecutable | undefined {
    const main = program.main;
    // §4.8 step 1 (and §10 #5: stand-alone decided by type, not by token).
    if (main.kind === 'stand-alone' || main.token === '0' || main.token !== this.#token) this.clear();
    const pc = program.parameterCaching;
    if (pc && !this.#cached.has(pc)) return pc;
    return undefined;
  }

  /** After the parameter-caching run finished (its completion event arrived). */
  commit(pc: ProgramExecutable): void {
    if (pc.token !== this.#token) this.clear();
    this.#token = pc.token;
    this.#cached.add(pc);
  }

  /** After close, reset, replug, DFU or a failed request (§4.8 last paragraph). */
  clear(): void {
    this.#token = '0';
    this.#cached.clear();
  }

  get token(): string {
    return this.#token;
  }

  holds(pc: ProgramExecutable): boolean {
    return this.#cached.has(pc);
  }
}
