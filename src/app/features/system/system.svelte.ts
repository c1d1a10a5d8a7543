/** Capabilities of this browser, fetched once from the accelerator worker. */
import type { Capabilities } from '../../../worker/capabilities.ts';
import type { LadderEntry } from '../../../worker/accelerator-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { withTraining } from '../../shared/training.ts';
import { describeCapabilities, overallLevel } from './guidance.ts';
import { storageReport, type StorageReport } from '../../../lib/store/index.ts';

export class SystemState {
  capabilities = $state<Capabilities | undefined>(undefined);
  workerVersion = $state<string | undefined>(undefined);
  /** The engine ladder: every engine, available or why not. */
  engines = $state<LadderEntry[]>([]);
  error = $state<string | undefined>(undefined);
  /** This origin's storage use and whether the browser keeps it under pressure (the Train page asks for that). */
  storage = $state<StorageReport | undefined>(undefined);
  guidance = $derived(this.capabilities ? describeCapabilities(this.capabilities) : []);
  level = $derived(overallLevel(this.guidance));

  /** The tfjs backend training uses here, and why (after `checkTraining`). */
  training = $state<{ backend: string; why: string } | undefined>(undefined);
  checkingTraining = $state(false);

  /** Starts the training worker's tfjs backend (WebGPU when an adapter is granted, else WASM) and says which. */
  async checkTraining(): Promise<void> {
    this.checkingTraining = true;
    try {
      const backend = await withTraining((api) => api.prepare());
      const c = this.capabilities;
      const why =
        backend === 'webgpu'
          ? 'this browser granted a WebGPU adapter'
          : !c?.webGpu
            ? 'this browser has no WebGPU'
            : !c.webGpuAdapter
              ? 'this browser granted no WebGPU adapter'
              : 'WebGPU did not start within the time limit';
      this.training = { backend, why };
    } catch (error) {
      this.training = { backend: 'none', why: error instanceof Error ? error.message : String(error) };
    } finally {
      this.checkingTraining = false;
    }
  }

  async load(): Promise<void> {
    try {
      const api = accelerator();
      const [capabilities, version] = await Promise.all([api.capabilities(), api.version()]);
      this.capabilities = capabilities;
      this.workerVersion = version;
      this.storage = await storageReport().catch(() => undefined);
      this.engines = await api.engineLadder().catch(() => []);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }
}
