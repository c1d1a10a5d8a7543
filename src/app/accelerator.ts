/** The page's one handle on the accelerator worker (the only `wrap()` in the app). */
import { wrap, type Remote } from 'comlink';
import type { AcceleratorApi } from '../worker/accelerator-api.ts';
import { installTransferHandlers } from '../worker/transfer-handlers.ts';

installTransferHandlers();

let remote: Remote<AcceleratorApi> | undefined;

/** Starts the worker on first use; one per page, it owns the devices and engines from then on. */
export function accelerator(): Remote<AcceleratorApi> {
  remote ??= wrap<AcceleratorApi>(
    new Worker(new URL('../worker/accelerator.worker.ts', import.meta.url), {
      type: 'module',
      name: 'reef-accelerator',
    }),
  );
  return remote;
}
