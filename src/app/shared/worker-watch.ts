/**
 * Notices a worker that died. A terminated or crashed (out of memory) worker fires no event the page
 * can count on, and a comlink call to it never settles: so while calls are pending the watch pings
 * the worker, and one that has not answered a ping for `deadMs` is declared gone. Every pending call
 * then rejects, instead of the page waiting forever.
 */
import { ReefError } from '../../lib/errors.ts';

export interface WorkerWatchOptions {
  /** Answers when the worker's event loop is alive. */
  ping: () => Promise<unknown>;
  /** Called once when the worker is declared gone (terminate it there). */
  onGone: (error: ReefError) => void;
  /** Names the worker in the error message. */
  name: string;
  intervalMs?: number;
  /** Longer than any stretch the worker computes without yielding (one batch, one embedding). */
  deadMs?: number;
}

export class WorkerWatch {
  readonly #options: Required<WorkerWatchOptions>;
  readonly #pending = new Set<(error: Error) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** When the ping in flight was sent (undefined: none in flight). */
  #pingSentAt: number | undefined;
  #gone: ReefError | undefined;

  constructor(options: WorkerWatchOptions) {
    this.#options = { intervalMs: 1000, deadMs: 15_000, ...options };
  }

  get gone(): boolean {
    return this.#gone !== undefined;
  }

  /** Settles like `call`, or rejects when the worker is declared gone (or stopped) first. */
  watch<T>(call: Promise<T>): Promise<T> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      this.#startBeating();
      call.then(resolve, reject).finally(() => {
        this.#pending.delete(reject);
        if (this.#pending.size === 0) this.#stopBeating();
      });
    });
  }

  /** The worker died (error event) or was stopped on purpose: pending calls reject with `error`. */
  fail(error: ReefError): void {
    this.#stopBeating();
    if (this.#gone) return;
    this.#gone = error;
    for (const reject of this.#pending) reject(error);
    this.#pending.clear();
  }

  #startBeating(): void {
    if (this.#timer !== undefined) return;
    this.#pingSentAt = undefined;
    this.#timer = setInterval(() => this.#beat(), this.#options.intervalMs);
  }

  #stopBeating(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pingSentAt = undefined;
  }

  #beat(): void {
    const now = Date.now();
    if (this.#pingSentAt === undefined) {
      this.#pingSentAt = now;
      const sent = now;
      // Any answer, even an error, shows the worker's event loop is running.
      const answered = (): void => {
        if (this.#pingSentAt === sent) this.#pingSentAt = undefined;
      };
      this.#options.ping().then(answered, answered);
      return;
    }
    const silentMs = now - this.#pingSentAt;
    if (silentMs < this.#options.deadMs) return;
    const error = new ReefError(
      'UNAVAILABLE',
      `The ${this.#options.name} stopped responding (no answer for ${Math.round(silentMs / 1000)} s): it was closed or ran out of memory.`,
      { reason: 'worker-gone' },
    );
    this.fail(error);
    this.#options.onGone(error);
  }
}
