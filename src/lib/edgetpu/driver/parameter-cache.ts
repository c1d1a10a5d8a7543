/**
 * The host's picture of the weights on the chip (protocol §4.8): a caching token and the set of
 * parameter-caching executables whose weights are resident. Co-compiled models share a token, so
 * alternating them uploads nothing; any other token, or a stand-alone run, evicts everything.
 * Executables are known by content (token, sizes, sampled bytes), so the same model loaded twice
 * shares its weights on the chip too.
 */
import type { ProgramExecutable, TpuProgram } from '../program/tpu-program.ts';

const keys = new WeakMap<ProgramExecutable, string>();

/** A content key: cheap to compute once per executable, equal for the same compiled weights. */
export function executableKey(exe: ProgramExecutable): string {
  let key = keys.get(exe);
  if (key === undefined) {
    let h = 0x811c9dc5;
    const mix = (bytes: Uint8Array) => {
      const step = Math.max(1, Math.floor(bytes.length / 4096));
      for (let i = 0; i < bytes.length; i += step) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
    };
    mix(exe.parameters);
    for (const chunk of exe.chunks) mix(chunk.bitstream);
    key = `${exe.token}:${exe.parameters.length}:${exe.chunks.map((c) => c.bitstream.length).join(',')}:${h.toString(16)}`;
    keys.set(exe, key);
  }
  return key;
}

export class ParameterCache {
  #token = '0';
  readonly #cached = new Set<string>();

  /** Before running `program`: returns the parameter-caching executable to run first, if any. */
  plan(program: TpuProgram): ProgramExecutable | undefined {
    const main = program.main;
    // §4.8 step 1 (and §10 #5: stand-alone decided by type, not by token).
    if (main.kind === 'stand-alone' || main.token === '0' || main.token !== this.#token) this.clear();
    const pc = program.parameterCaching;
    if (pc && !this.#cached.has(executableKey(pc))) return pc;
    return undefined;
  }

  /** After the parameter-caching run finished (its completion event arrived). */
  commit(pc: ProgramExecutable): void {
    if (pc.token !== this.#token) this.clear();
    this.#token = pc.token;
    this.#cached.add(executableKey(pc));
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
    return this.#cached.has(executableKey(pc));
  }
}
