/**
 * The page's handle on the training worker (separate from the accelerator worker, so a long
 * training never blocks inference). Cancelling terminates it; the next call starts a fresh one.
 */
import { wrap, type Remote } from 'comlink';
import type { TrainingApi } from '../worker/training-api.ts';
import { installTransferHandlers } from '../worker/transfer-handlers.ts';

installTransferHandlers();

let worker: Worker | undefined;
let remote: Remote<TrainingApi> | undefined;

export function training(): Remote<TrainingApi> {
  if (!remote) {
    worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), {
      type: 'module',
      name: 'reef-training',
    });
    remote = wrap<TrainingApi>(worker);
  }
  return remote;
}

/** Stops a training at once: the worker and everything it held are thrown away. */
export function stopTraining(): void {
  worker?.terminate();
  worker = undefined;
  remote = undefined;
}
