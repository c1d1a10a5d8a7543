/**
 * The accelerator worker's API. Its type is the contract with the page (src/app/accelerator.ts):
 * arguments and results are plain cloneable data, never class instances or USBDevices.
 */
import { detectCapabilities, type Capabilities } from './capabilities.ts';

export type { Capabilities };

export class AcceleratorApi {
  #capabilities: Promise<Capabilities> | undefined;

  /** What this browser can do, measured once per worker. */
  capabilities(): Promise<Capabilities> {
    this.#capabilities ??= detectCapabilities();
    return this.#capabilities;
  }

  version(): string {
    return __REEF_VERSION__;
  }
}
