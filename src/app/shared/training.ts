/**
 * The page's handle on the training worker (separate from the accelerator worker, so a long
 * training never blocks inference). Cancelling terminates it; the next call starts a fresh one.
 * Calls go through `withTraining`, which notices a worker that died mid-call (closed, out of
 * memory) and rejects with reason `worker-gone` instead of waiting forever.
 */
import { wrap, type Remote } from 'comlink';
import { ReefError } from '../../lib/errors.ts';
import type { TrainingApi } from '../../worker/training-api.ts';
import { installTransferHandlers } from '../../worker/transfer-handlers.ts';
import { WorkerWatch } from './worker-watch.ts';

installTransferHandlers();

interface TrainingWorker {
  worker: Worker;
  remote: Remote<TrainingApi>;
  watch: WorkerWatch;
}

let current: TrainingWorker | undefined;

function start(): TrainingWorker {
  const worker = new Worker(new URL('../../worker/training.worker.ts', import.meta.url), {
    type: 'module',
    name: 'reef-training',
  });
  const remote = wrap<TrainingApi>(worker);
  const handle: TrainingWorker = {
    worker,
    remote,
    watch: new WorkerWatch({ name: 'training worker', ping: () => remote.ping(), onGone: () => drop(handle) }),
  };
  // comlink answers every API error itself, so an error event here means the worker script died.
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    const detail = event.message ? `: ${event.message}` : '';
    handle.watch.fail(new ReefError('UNAVAILABLE', `The training worker crashed${detail}.`, { reason: 'worker-gone' }));
    drop(handle);
  });
  return handle;
}

function drop(handle: TrainingWorker): void {
  handle.worker.terminate();
  if (current === handle) current = undefined;
}

/** Runs one call on the training worker, started on demand; rejects if the worker dies meanwhile. */
export function withTraining<T>(call: (api: Remote<TrainingApi>) => Promise<T>): Promise<T> {
  current ??= start();
  const handle = current;
  return handle.watch.watch(call(handle.remote));
}

/** Stops the training worker at once: its pending calls reject with CANCELLED, and all it held is gone. */
export function stopTraining(): void {
  const handle = current;
  if (!handle) return;
  handle.watch.fail(new ReefError('CANCELLED', 'Cancelled.', { reason: 'cancelled' }));
  drop(handle);
}
