/// <reference lib="webworker" />
// Entry of the one long-lived accelerator worker: builds the API and exposes it, nothing else.
import { expose } from 'comlink';
import { AcceleratorApi } from './accelerator-api.ts';
import { installTransferHandlers } from './transfer-handlers.ts';

installTransferHandlers();
expose(new AcceleratorApi());
