/**
 * A model that starts on the ladder's reference engine (WASM) while the rest of its calibration
 * goes on in the background, and moves to the engine that wins it, between two runs. A person gets
 * results at once instead of waiting for a slow GPU to compile its shaders (seconds on a software
 * GPU), and every result still names the engine that made it.
 *
 * Runs take turns: a person's run and a calibration's timed run never overlap, so neither figure is
 * the sum of two engines sharing the CPU, and a switch never happens in the middle of a run.
 */
import type { LoadedModel, RunResult, TensorArray, TensorInfo } from '../engine.ts';

export class SwitchableModel implements LoadedModel {
  #inner: LoadedModel;
  #turn: Promise<unknown> = Promise.resolve();
  #disposed = false;

  constructor(inner: LoadedModel) {
    this.#inner = inner;
  }

  get inputs(): readonly TensorInfo[] {
    return this.#inner.inputs;
  }

  get outputs(): readonly TensorInfo[] {
    return this.#inner.outputs;
  }

  get engine(): string {
    return this.#inner.engine;
  }

  get device(): string {
    return this.#inner.device;
  }

  /** Set once the model was unloaded: the background calibration stops and switches nothing. */
  get disposed(): boolean {
    return this.#disposed;
  }

  run(inputs: readonly TensorArray[]): Promise<RunResult> {
    return this.exclusive(() => this.#inner.run(inputs));
  }

  /** Work that must not share a turn with a person's run (a calibration's timed run). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#turn.then(work);
    this.#turn = turn.catch(() => {});
    return turn;
  }

  /**
   * Runs on `next` from the next turn on; the engine it leaves is released once its last run is
   * done. After `dispose`, `next` is released instead.
   */
  switchTo(next: LoadedModel): Promise<void> {
    return this.exclusive(async () => {
      if (this.#disposed) {
        next.dispose();
        return;
      }
      const previous = this.#inner;
      this.#inner = next;
      if (previous !== next) previous.dispose();
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // After the run in progress, if any: freeing an engine's buffers under a run is a crash.
    void this.exclusive(async () => this.#inner.dispose());
  }
}
