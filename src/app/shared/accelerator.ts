/** The page's one handle on the accelerator worker (the only `wrap()` of it in the app). */
import { releaseProxy, wrap, type Remote } from 'comlink';
import type { AcceleratorApi } from '../../worker/accelerator-api.ts';
import { installTransferHandlers } from '../../worker/transfer-handlers.ts';

installTransferHandlers();

let worker: Worker | undefined;
let remote: Remote<AcceleratorApi> | undefined;
const crashListeners = new Set<(message: string) => void>();

/** Starts the worker on first use; one per page, it owns the devices and engines from then on. */
export function accelerator(): Remote<AcceleratorApi> {
  if (!remote) {
    worker = new Worker(new URL('../../worker/accelerator.worker.ts', import.meta.url), {
      type: 'module',
      name: 'reef-accelerator',
    });
    // An uncaught error in the worker (or a failed start) leaves calls hanging: tell whoever recovers.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      for (const listener of crashListeners) listener(event.message || 'the accelerator worker stopped');
    });
    remote = wrap<AcceleratorApi>(worker);
  }
  return remote;
}

/**
 * Throws the worker away and lets the next `accelerator()` start a fresh one. Only for recovery
 * (the kiosk after a crash): it drops the worker's devices and loaded models.
 */
export function restartAccelerator(): void {
  remote?.[releaseProxy]();
  worker?.terminate();
  remote = undefined;
  worker = undefined;
}

/** Calls `listener` when the worker reports an uncaught error; returns the unsubscribe. */
export function onAcceleratorCrash(listener: (message: string) => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}
