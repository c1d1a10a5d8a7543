/**
 * The booth kiosk: started by URL (`/?kiosk&model=…&task=…`), it picks the model, starts the
 * camera and runs with no clicks, keeps the screen awake, follows replugs and recovers from a
 * crashed worker. What is missing is said plainly, in large type.
 */
import type { DeviceInfo } from '../../../worker/accelerator-api.ts';
import { accelerator, onAcceleratorCrash, restartAccelerator } from '../../shared/accelerator.ts';
import { CameraState } from '../../shared/camera.svelte.ts';
import { watchDevices } from '../../shared/device-watch.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { InferenceResult } from '../../shared/inference.ts';
import { ModelSession } from '../../shared/inference-client.ts';
import { isWatchdogExpiry, watched } from './watchdog.ts';
import { choicesFrom, type ModelChoice, type ModelTask } from '../../shared/model-choices.svelte.ts';

const TASKS: readonly ModelTask[] = ['classify', 'detect', 'segment', 'pose'];
/** A worker that does not answer within this long is treated as crashed and replaced. */
const WATCHDOG_MS = 20_000;
const RETRY_MS = 3_000;
const DEVICE_POLL_MS = 2_000;

export type KioskStatus =
  | { kind: 'starting'; text: string }
  | { kind: 'running' }
  | { kind: 'missing'; text: string; hint: string }
  | { kind: 'recovering'; text: string };

export interface KioskParams {
  model: string;
  task: ModelTask | undefined;
}

export function readKioskParams(params: URLSearchParams): KioskParams {
  const task = params.get('task') ?? '';
  return { model: params.get('model') ?? '', task: TASKS.find((t) => t === task) };
}

/** `model=` may name a catalog entry id, a stored file's name, or its sha256. */
export function resolveModel(wanted: string, choices: ModelChoice[]): ModelChoice | undefined {
  const w = wanted.trim().toLowerCase();
  if (!w) return choices[0];
  return choices.find(
    (c) =>
      c.key === `catalog:${w}` ||
      c.key === `file:${w}` ||
      c.title.toLowerCase() === w ||
      c.edgetpu === w ||
      c.cpu === w,
  );
}

export class KioskState {
  readonly camera = new CameraState();
  readonly params: KioskParams;
  status = $state<KioskStatus>({ kind: 'starting', text: 'Starting…' });
  model = $state.raw<ModelChoice | undefined>(undefined);
  result = $state.raw<InferenceResult | undefined>(undefined);
  tpu = $state<string | undefined>(undefined);
  wakeLock = $state(false);
  /** Something about the accelerator worth saying while inference goes on (on WASM meanwhile). */
  notice = $state<string | undefined>(undefined);
  aspect = $state(4 / 3);
  #stopped = false;
  #cleanups: (() => void)[] = [];
  #wake: WakeLockSentinel | undefined;
  #session = new ModelSession();

  constructor(params: URLSearchParams) {
    this.params = readKioskParams(params);
  }

  /** Runs until the returned cleanup is called. */
  start(video: () => HTMLVideoElement | undefined): () => void {
    this.#cleanups.push(
      onAcceleratorCrash((message) => void this.#recover(`The accelerator worker stopped (${message}).`)),
    );
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') void this.#keepAwake();
    };
    document.addEventListener('visibilitychange', onVisible);
    this.#cleanups.push(() => document.removeEventListener('visibilitychange', onVisible));
    void this.#keepAwake();
    this.#watchDevices();
    void this.#loop(video);
    return () => this.stop();
  }

  stop(): void {
    this.#stopped = true;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#unwatchDevices();
    void this.#wake?.release();
    this.camera.stop();
    this.#session.dispose();
  }

  /** Fullscreen needs a gesture in Chromium: the page's Start button calls this. */
  async enterFullscreen(): Promise<void> {
    if (document.fullscreenElement || !document.fullscreenEnabled) return;
    try {
      await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
    } catch {
      // Refused (no gesture, or a policy): the kiosk runs in the window it has.
    }
  }

  async #keepAwake(): Promise<void> {
    if (!('wakeLock' in navigator) || this.#stopped) return;
    try {
      this.#wake = await navigator.wakeLock.request('screen');
      this.wakeLock = true;
      this.#wake.addEventListener('release', () => (this.wakeLock = false));
    } catch {
      // Refused (page hidden, or battery saver): the next visibilitychange asks again.
      this.wakeLock = false;
    }
  }

  /** Stops following the current worker's devices (before a restart, or at the end). */
  #unwatchDevices: () => void = () => undefined;

  #watchDevices(): void {
    this.#unwatchDevices();
    const update = (list: DeviceInfo[]): void => {
      const tpu = list.find((d) => d.state === 'ready' || d.state === 'busy')?.id;
      // A Coral plugged (back) in: reload the model so `auto` puts it on the TPU again.
      if (tpu && tpu !== this.tpu) this.#session.dispose();
      this.tpu = tpu;
      // A replugged Coral comes back in its bootloader: put the firmware on it, no clicks.
      for (const d of list) if (d.state === 'needs-firmware') void this.#flash(d.id);
    };
    // No WebUSB (or the worker just went away): the kiosk runs on WASM and the poll retries.
    const watch = watchDevices(update, { onError: () => (this.tpu = undefined) });
    // Without a TPU, look again now and then: a Coral granted elsewhere (or re-granted) shows up in
    // a refresh even when no plug event reaches this page.
    const timer = setInterval(() => {
      if (!this.tpu) void watch.refresh();
    }, DEVICE_POLL_MS);
    this.#unwatchDevices = () => {
      clearInterval(timer);
      watch.stop();
    };
  }

  #flashing: string[] = [];

  async #flash(id: string): Promise<void> {
    if (this.#flashing.includes(id)) return;
    this.#flashing = [...this.#flashing, id];
    try {
      const baseUrl = localStorage.getItem('reef.modelBaseUrl');
      const outcome = await accelerator().flashFirmware(id, 'download', undefined, baseUrl ? { baseUrl } : {});
      if (outcome.status === 'needs-permission')
        this.notice = 'The Coral needs permission again: open Reef’s Devices page once.';
    } catch (error) {
      this.notice = `The Coral’s firmware could not be installed: ${errorMessage(error)}`;
    } finally {
      this.#flashing = this.#flashing.filter((f) => f !== id);
    }
  }

  async #findModel(): Promise<ModelChoice | undefined> {
    const api = accelerator();
    const [entries, files] = await Promise.all([api.catalog(), api.localFiles()]);
    const found = resolveModel(this.params.model, choicesFrom(entries, files));
    if (found) return found;
    // A catalog entry named by its id, or by one of its files' names or sha256s.
    const wanted = this.params.model.trim().toLowerCase();
    const entry = entries.find(
      (e) => e.id === wanted || e.files.some((f) => f.name.toLowerCase() === wanted || f.sha256 === wanted),
    );
    if (!entry) return undefined;
    if (!entry.cached) {
      // Not downloaded yet: fetch it once (checked against its sha256), then run.
      this.status = { kind: 'starting', text: `Downloading ${entry.title}…` };
      await api.downloadCatalogEntry(entry.id, localStorage.getItem('reef.modelBaseUrl') ?? undefined);
    }
    return resolveModel(entry.id, choicesFrom(await api.catalog(), await api.localFiles()));
  }

  async #loop(video: () => HTMLVideoElement | undefined): Promise<void> {
    while (!this.#stopped) {
      try {
        this.model ??= await this.#findModel();
      } catch (error) {
        this.status = { kind: 'missing', text: 'The model could not be loaded.', hint: errorMessage(error) };
        await this.#sleep(RETRY_MS);
        continue;
      }
      if (!this.model) {
        this.status = {
          kind: 'missing',
          text: this.params.model ? `No model “${this.params.model}” on this device.` : 'No model on this device.',
          hint: 'Open Reef without ?kiosk, download or import the model on the Models page, then reload.',
        };
        await this.#sleep(RETRY_MS * 3);
        continue;
      }
      if (!this.camera.active) {
        await this.camera.start();
        if (!this.camera.active) {
          this.status = {
            kind: 'missing',
            text: 'No camera.',
            hint: this.camera.error ?? 'Plug in a camera; the kiosk retries by itself.',
          };
          await this.#sleep(RETRY_MS);
          continue;
        }
      }
      const el = video();
      const frame = el ? await this.camera.grab(el) : undefined;
      if (!frame) {
        await this.#sleep(50);
        continue;
      }
      await this.#infer(this.model, frame);
    }
  }

  async #infer(model: ModelChoice, frame: ImageBitmap): Promise<void> {
    // `auto`: the TPU when one is plugged in, else WASM with the CPU twin (the result says which).
    const engine = model.edgetpu || model.segments ? 'auto' : 'wasm';
    try {
      this.result = await watched(
        this.#session.run(
          {
            model,
            task: this.params.task ?? model.task,
            engine,
            topK: 3,
            ...(model.labels ? { labels: model.labels } : {}),
          },
          frame,
        ),
        WATCHDOG_MS,
      );
      this.status = { kind: 'running' };
    } catch (error) {
      if (isWatchdogExpiry(error)) {
        await this.#recover(errorMessage(error));
      } else {
        // No result of an earlier frame stays on screen under the error.
        this.result = undefined;
        this.status = { kind: 'recovering', text: errorMessage(error) };
        await this.#sleep(RETRY_MS);
      }
    }
  }

  async #recover(reason: string): Promise<void> {
    if (this.#stopped) return;
    this.status = { kind: 'recovering', text: `${reason} Restarting it…` };
    this.#unwatchDevices();
    restartAccelerator();
    // The old worker took its loaded model with it.
    this.#session = new ModelSession();
    this.result = undefined;
    await this.#sleep(500);
    this.#watchDevices();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}
