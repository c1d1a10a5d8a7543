/**
 * LiteRT's C++ side reports failures only by logging: a kernel that refuses to prepare logs
 * `Node number 1 (SOFTMAX) failed to prepare` and `Failed to allocate tensors`, and the JS binding
 * still hands back output buffers (whatever the heap held). So every call into LiteRT runs inside a
 * capture of its log lines, and an ERROR line turns the call into a typed error whose message is
 * one readable line summarising them. Nothing is printed: INFO chatter is dropped.
 */
import { ReefError, type ReefErrorCode } from '../errors.ts';

/** Lines LiteRT logs when something failed (TFLite's error reporter and LiteRT's own logger). */
const FAILURE_LINE = /^\s*(ERROR|FATAL)\b/;

/** The log lines one LiteRT call produced. */
export class LiteRtLogCapture {
  #lines: string[] = [];

  /** The sink handed to the Emscripten module's `print` / `printErr`. */
  readonly write = (text: string): void => {
    // A runaway logger must not grow memory without bound: the first lines carry the cause.
    if (this.#lines.length < 64) this.#lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
  };

  /** Starts a fresh call: earlier lines (INFO from a previous load) are dropped. */
  reset(): void {
    this.#lines = [];
  }

  get failures(): string[] {
    return this.#lines.filter((l) => FAILURE_LINE.test(l));
  }
}

export type LiteRtStage = 'load' | 'run';

/** `ERROR: third_party/.../activations.cc:554 output->params.zero_point != -128 (0 != -128)` → the check. */
function detail(line: string): string {
  return line
    .replace(FAILURE_LINE, '')
    .replace(/^\s*:\s*/, '')
    .replace(/^\[[^\]]*\]\s*/, '') // `[litert_compiled_model.cc:164] `
    .replace(/^[\w./-]+\.(cc|h|cpp|c):\d+\s*/, '') // `third_party/.../activations.cc:554 `
    .trim();
}

const NODE_FAILED = /Node number (\d+) \(([^)]+)\) failed to (prepare|invoke)/;

/**
 * One typed error from the failure lines of a call. `opNumbers` maps the graph's node numbers to
 * the op indices of the model the user loaded (a LiteRT segment is a slice of it).
 */
export function liteRtLogError(
  failures: readonly string[],
  stage: LiteRtStage,
  opNumbers?: readonly number[],
): ReefError {
  const details = failures.map(detail).filter((d) => d !== '');
  const node = failures.map((l) => NODE_FAILED.exec(l)).find((m) => m !== null);
  let code: ReefErrorCode = stage === 'load' ? 'INVALID_ARGUMENT' : 'INTERNAL';
  let reason = stage === 'load' ? 'litert-model-rejected' : 'litert-run-failed';
  let head = stage === 'load' ? 'LiteRT could not load the model' : 'LiteRT failed while running the model';
  if (node) {
    const [, number, op, what] = node;
    const index = opNumbers?.[Number(number)] ?? Number(number);
    head = `LiteRT could not ${what} op ${index} (${op})`;
    // A kernel refusing to prepare is a property of the model (bad quantization, shapes), not of this run.
    code = what === 'prepare' ? 'INVALID_ARGUMENT' : 'INTERNAL';
    reason = what === 'prepare' ? 'litert-prepare-failed' : 'litert-invoke-failed';
  } else if (details.some((d) => /allocate tensors/i.test(d))) {
    head = 'LiteRT could not allocate the model’s tensors';
    code = 'RESOURCE_EXHAUSTED';
    reason = 'litert-allocate-failed';
  }
  const causes = details.filter((d) => !NODE_FAILED.test(d) && !/^Failed to allocate tensors$/i.test(d));
  const why = [...new Set(causes)].slice(0, 3).join('; ');
  return new ReefError(code, why ? `${head}: ${why}` : head, { reason });
}
