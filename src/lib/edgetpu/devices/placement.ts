/**
 * Which Edge TPU a model goes to, as pycoral users know it: `usb:N` names one TPU, `usb` any, and
 * no device means "automatic": each model gets a TPU of its own while free ones remain, and models
 * co-compiled together (same parameter-caching token) share one TPU without swapping parameters.
 * When every TPU holds a model, automatic placement refuses and says what the choices are.
 */
import { ReefError } from '../../errors.ts';

export interface PlacedModel {
  /** Unique per loaded model. */
  key: string;
  name: string;
  /** The parameter-caching token (decimal string), or null for stand-alone executables. */
  cachingToken: string | null;
}

export interface DeviceSlot {
  id: string;
  models: readonly PlacedModel[];
}

export interface PlacementDecision {
  deviceId: string;
  /** Models already on that TPU whose parameters are co-compiled with this one. */
  sharesCacheWith: string[];
  /** Models already on that TPU that will swap parameters with this one. */
  swapsWith: string[];
}

const DEVICE_ID = /^usb(?::(\d+))?$/;

export function chooseDevice(
  model: PlacedModel,
  request: string | undefined,
  devices: readonly DeviceSlot[],
): PlacementDecision {
  if (request !== undefined && !DEVICE_ID.test(request)) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      `device "${request}" is not a device id; use "usb", "usb:N" or leave it out`,
      {
        reason: 'bad-device-id',
      },
    );
  }
  if (devices.length === 0) {
    throw new ReefError('UNAVAILABLE', 'no Edge TPU is connected; connect a Coral or run on the CPU (WASM)', {
      reason: 'no-tpu',
    });
  }
  const cocompiled = (d: DeviceSlot) =>
    model.cachingToken !== null && d.models.length > 0 && d.models.every((m) => m.cachingToken === model.cachingToken);

  let target: DeviceSlot | undefined;
  if (request !== undefined && request !== 'usb') {
    target = devices.find((d) => d.id === request);
    if (!target) {
      throw new ReefError('NOT_FOUND', `no Edge TPU "${request}"; connected: ${devices.map((d) => d.id).join(', ')}`, {
        reason: 'unknown-device',
      });
    }
  } else {
    target = devices.find(cocompiled) ?? devices.find((d) => d.models.length === 0);
    if (!target && request === 'usb') {
      target = [...devices].sort((a, b) => a.models.length - b.models.length)[0];
    }
    if (!target) {
      const holding = devices.map((d) => `${d.id}: ${d.models.map((m) => m.name).join(', ')}`).join('; ');
      throw new ReefError(
        'FAILED_PRECONDITION',
        `every Edge TPU already holds a model (${holding}). One model per TPU is fastest. To share a TPU anyway, ` +
          `load ${model.name} with an explicit device such as "${devices[0]!.id}" — the two models' parameters are then ` +
          `swapped into the TPU on every switch — or plug in another Coral.`,
        { reason: 'no-free-tpu' },
      );
    }
  }
  const sharesCacheWith = target.models
    .filter((m) => model.cachingToken !== null && m.cachingToken === model.cachingToken)
    .map((m) => m.name);
  const swapsWith = target.models
    .filter((m) => model.cachingToken === null || m.cachingToken !== model.cachingToken)
    .map((m) => m.name);
  return { deviceId: target.id, sharesCacheWith, swapsWith };
}

/**
 * Mirrors the TPU's parameter cache (protocol doc §4.8) to count swaps: the TPU holds the
 * parameters of models sharing one caching token; running a model with another token (or a
 * stand-alone one) evicts them. A swap is an upload of parameters that had been uploaded before and
 * were evicted by another model. Co-compiled models share a token, so alternating them is free.
 */
export class ParameterResidency {
  #token: string | null = null;
  readonly #cached = new Set<string>();
  readonly #uploadedBefore = new Set<string>();
  swaps = 0;
  uploads = 0;

  /** Call before each run; returns true when that run must first upload the model's parameters. */
  beforeRun(model: PlacedModel): boolean {
    if (model.cachingToken === null || model.cachingToken !== this.#token) {
      this.#token = null;
      this.#cached.clear();
    }
    if (model.cachingToken === null) return false; // stand-alone: parameters travel with every run
    if (this.#cached.has(model.key)) return false;
    this.#token = model.cachingToken;
    this.#cached.add(model.key);
    this.uploads++;
    if (this.#uploadedBefore.has(model.key)) this.swaps++;
    this.#uploadedBefore.add(model.key);
    return true;
  }

  /** After a reset, reopen or unplug the TPU holds nothing; the next upload is not a swap. */
  clear(): void {
    this.#token = null;
    this.#cached.clear();
    this.#uploadedBefore.clear();
  }

  get residentToken(): string | null {
    return this.#token;
  }
}
