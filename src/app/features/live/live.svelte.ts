/** The Live page: a camera or an image, a model, an engine, and the latest result drawn over it. */
import { flushSync } from 'svelte';
import type { DeviceInfo, EngineDecision } from '../../../worker/accelerator-api.ts';
import { ReefError } from '../../../lib/errors.ts';
import { openImageBitmap } from '../../../lib/tasks/image-bitmap.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { CameraState } from '../../shared/camera.svelte.ts';
import { watchDevices, type DeviceWatch } from '../../shared/device-watch.ts';
import { acceleratorChoices } from '../../shared/engine-words.ts';
import { errorMessage } from '../../shared/errors.ts';
import { takeOfferedImage } from '../../shared/image-offer.ts';
import type { InferenceResult } from '../../shared/inference.ts';
import { ModelSession, type EngineChoice, type InferenceRequest } from '../../shared/inference-client.ts';
import { ModelChoicesState, type ModelChoice, type ModelTask } from '../../shared/model-choices.svelte.ts';
import type { BudgetSummary } from '../../shared/frame-budget.ts';
import { FramePump } from '../../shared/frame-pump.ts';

const SAVED_KEY = 'reef.live';

interface SavedChoices {
  modelKey: string;
  task: ModelTask;
  engine: EngineChoice;
  labels: string;
}

function readSaved(): SavedChoices | undefined {
  try {
    return JSON.parse(localStorage.getItem(SAVED_KEY) ?? 'null') as SavedChoices | undefined;
  } catch {
    // A hand-edited or old value: start from the defaults.
    return undefined;
  }
}

/** How often Live looks for a camera that stopped sending frames. */
const STALL_CHECK_MS = 1000;

/** No model chosen, or one the chosen engine cannot run (the page already says why). */
class NothingToRun extends Error {
  static readonly noModel = 'Choose a model first: download one on the Models page or import a .tflite file.';
}

export class LiveState {
  readonly camera = new CameraState();
  readonly models = new ModelChoicesState();
  devices = $state<string[]>([]);
  /** The ladder's other available engines (GPU (WebGPU), WebNN) to offer beside Automatic, TPUs and WASM. */
  accelerators = $state<{ value: string; label: string }[]>([]);
  /** How the engine of the loaded model was chosen, with the measured figures. */
  decision = $state.raw<EngineDecision | undefined>(undefined);
  modelKey = $state('');
  engine = $state<EngineChoice>('auto');
  /** sha256 of a stored label file, or '' for the model's own labels. */
  labels = $state('');
  task = $state<ModelTask>('classify');
  source = $state<'camera' | 'image'>('camera');
  imageUrl = $state<string | undefined>(undefined);
  imageName = $state('');
  running = $state(false);
  result = $state.raw<InferenceResult | undefined>(undefined);
  fps = $state(0);
  /** Width / height of what is shown, so overlays in 0..1 coordinates line up with the picture. */
  aspect = $state(4 / 3);
  error = $state<string | undefined>(undefined);
  model = $derived(this.models.find(this.modelKey));
  /** WASM needs a CPU model; the TPU needs a compiled one (or a CPU one, run on the CPU with a notice). */
  engineProblem = $derived.by(() => {
    const m = this.model;
    if (!m) return undefined;
    // A segment set runs only on TPUs: the worker refuses other engines and says why.
    if (m.segments) return undefined;
    if (this.engine === 'wasm' && !m.cpu)
      return 'This model is compiled for the Edge TPU only; WASM needs its CPU twin.';
    if (this.engine.startsWith('usb') && !m.edgetpu) return 'This model is not compiled for the Edge TPU.';
    if (this.engine === 'auto' && !m.cpu && this.devices.length === 0)
      return 'No Edge TPU is connected and this model has no CPU version: connect a Coral or import the CPU twin.';
    return undefined;
  });
  /** Which stored file runs in WebAssembly for a compiled import, and how it was paired; one line. */
  twinNote = $derived.by(() => {
    const m = this.model;
    if (!m?.twin || this.engineProblem) return undefined;
    const how = m.twin.by === 'name' ? 'paired by file name' : 'paired by matching inputs and outputs';
    if (this.engine === 'wasm') return `Runs its CPU twin ${m.twin.name} in WebAssembly (${how}).`;
    if (this.engine === 'auto' && this.devices.length === 0)
      return `No Coral connected: runs its CPU twin ${m.twin.name} in WebAssembly (${how}).`;
    return undefined;
  });
  // A calibration that finished in the background moved the model: show the choice, and run a
  // still image again so its result comes from the engine the page names.
  readonly #session = new ModelSession((decision) => {
    this.decision = decision;
    if (this.source === 'image' && this.#image) void this.runImage();
  });
  #image: ImageBitmap | undefined;

  async load(): Promise<void> {
    await this.models.refresh();
    // `#/live?model=file:<sha256>` (the Train page's "Try it live") picks that model.
    const param = /[?&]model=([^&]+)/.exec(location.hash)?.[1];
    const saved = readSaved();
    const wanted = param ? decodeURIComponent(param) : saved?.modelKey;
    if (wanted && this.models.find(wanted)) {
      this.selectModel(wanted);
      if (!param && saved) {
        this.task = saved.task;
        this.labels = saved.labels;
        this.engine = saved.engine;
      }
    }
    if (!this.modelKey) this.selectModel(this.models.choices[0]?.key ?? '');
    // An image dropped on the Models page: show it here and run the chosen model on it.
    const offered = takeOfferedImage();
    if (offered) void this.pickImage(offered);
    accelerator()
      .engineLadder()
      .then((ladder) => (this.accelerators = acceleratorChoices(ladder)))
      .catch(() => {
        // The worker could not list its engines: Automatic still measures what it has.
      });
    // The page may have left while the models were listed: then nothing is watched.
    if (this.#disposed) return;
    this.#watch?.stop();
    this.#watch = watchDevices((list) => this.#showDevices(list), {
      // The worker could not list its devices: the engine list keeps Automatic and WASM.
      onError: () => (this.devices = []),
    });
  }

  #watch: DeviceWatch | undefined;
  #disposed = false;

  /** Follows plug and unplug: a new TPU makes the next frame reload the model so `auto` can use it. */
  #showDevices(list: DeviceInfo[]): void {
    const ready = list.filter((d) => d.state === 'ready' || d.state === 'busy').map((d) => d.id);
    if (ready.some((id) => !this.devices.includes(id))) this.#session.dispose();
    this.devices = ready;
  }

  selectModel(key: string): void {
    this.modelKey = key;
    const m = this.models.find(key);
    if (m) {
      this.task = m.task;
      this.labels = m.labels ?? '';
    }
    this.result = undefined;
  }

  /**
   * Runs the camera until `stop()`: every frame goes to the worker as it comes (frame-pump.ts; at
   * most one waits there, the newest winning), results are drawn in frame order, and the frame
   * budget says where the time went.
   */
  async startCamera(video: () => HTMLVideoElement | undefined): Promise<void> {
    this.source = 'camera';
    if (!this.camera.active) await this.camera.start();
    if (!this.camera.active) return;
    const el = video();
    if (!el) return;
    this.running = true;
    this.error = undefined;
    this.budget = undefined;
    // Autoplay can be held back (hidden or off-screen video); playing it is always allowed muted.
    if (el.paused) el.play().catch(() => undefined);
    this.#video = el;
    this.#pump.start(el, this.camera.track);
    // A camera that sends no frames (e.g. just released elsewhere) is nudged and restarted by the
    // camera's own stall check, as Kiosk and Train get from grab().
    clearInterval(this.#stallCheck);
    this.#stallCheck = setInterval(() => {
      if (!this.running) return;
      this.followCamera();
      if (performance.now() - this.#pump.lastFrameAt < STALL_CHECK_MS) return;
      if (el.paused) el.play().catch(() => undefined);
      void this.camera.grab(el).then((bitmap) => bitmap?.close());
    }, STALL_CHECK_MS);
  }

  #stallCheck: ReturnType<typeof setInterval> | undefined;
  #video: HTMLVideoElement | undefined;

  /**
   * A camera restarted (stalled) or switched to another device has a new track: the pump reads
   * that one from now on (its clone of the old one would keep the old camera open).
   */
  followCamera(): void {
    const track = this.camera.track;
    if (!this.running || !this.#video || !this.#pump.track || !track || track === this.#pump.track) return;
    this.#pump.start(this.#video, track);
  }

  stop(): void {
    clearInterval(this.#stallCheck);
    this.#pump.stop();
    this.running = false;
    this.camera.stop();
  }

  /** Where each camera frame's time went, over the last frames (undefined before the first). */
  budget = $state.raw<BudgetSummary | undefined>(undefined);
  /**
   * Ids of the last frame sent to the worker and of the one whose result is shown, when last drawn,
   * and where frames come from: the camera track as delivered, or the video at each refresh.
   */
  frameIds = $state({ sent: 0, shown: 0, source: '' });

  readonly #pump: FramePump<InferenceResult> = new FramePump<InferenceResult>({
    send: (frame) => {
      const model = this.model;
      if (!model || this.engineProblem) {
        frame.close();
        return Promise.reject(new NothingToRun());
      }
      return this.#session.runFrame(this.#request(model), frame);
    },
    openStream: (readable) =>
      this.#session.openFrameStream(readable, () => {
        const model = this.model;
        if (!model || this.engineProblem) throw new NothingToRun();
        return this.#request(model);
      }),
    show: (result) => {
      this.result = result;
      this.decision = this.#session.decision;
      this.error = undefined;
      // The overlay is drawn now, not in a later microtask: the frame's end-to-end time ends here.
      flushSync();
    },
    fail: (error) => this.#fail(error),
    drawn: () => this.#showBudget(),
  });

  #showBudget(): void {
    this.budget = this.#pump.budget.summary();
    this.fps = this.budget.fps;
    this.frameIds = { sent: this.#pump.sentId, shown: this.#pump.shownId, source: this.#pump.source ?? '' };
  }

  async pickImage(file: File): Promise<void> {
    this.stop();
    this.source = 'image';
    this.error = undefined;
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.#image?.close();
    try {
      // The header first: an image above Reef's pixel limit is refused before the browser decodes it.
      this.#image = await openImageBitmap(file, file.name);
    } catch (error) {
      this.error = error instanceof ReefError ? error.message : `${file.name} is not an image this browser can read.`;
      // After a failure nothing of the previous image or its result stays on screen.
      this.#image = undefined;
      this.imageUrl = undefined;
      this.result = undefined;
      return;
    }
    this.aspect = this.#image.width / this.#image.height;
    this.imageUrl = URL.createObjectURL(file);
    this.imageName = file.name;
    await this.runImage();
  }

  /** Runs the picked image again (after changing model or engine). */
  async runImage(): Promise<void> {
    if (!this.#image) return;
    await this.#run(await createImageBitmap(this.#image));
  }

  /** Keeps the choices for the next visit (read them in an effect so it re-runs on change). */
  remember(): void {
    const saved: SavedChoices = { modelKey: this.modelKey, task: this.task, engine: this.engine, labels: this.labels };
    if (saved.modelKey) localStorage.setItem(SAVED_KEY, JSON.stringify(saved));
  }

  #request(model: ModelChoice): InferenceRequest {
    return { model, task: this.task, engine: this.engine, topK: 3, ...(this.labels ? { labels: this.labels } : {}) };
  }

  /** After any failure no result stays on screen: the old overlay would look like this run's. */
  #fail(error: unknown): void {
    clearInterval(this.#stallCheck);
    this.#pump.stop();
    this.running = false;
    this.result = undefined;
    if (error instanceof NothingToRun) {
      // No model, or the engine problem already on the page: one message, not a second saying the same.
      this.error = this.model ? undefined : NothingToRun.noModel;
      return;
    }
    this.error = errorMessage(error);
  }

  async #run(frame: ImageBitmap): Promise<boolean> {
    const model = this.model;
    if (!model || this.engineProblem) {
      frame.close();
      this.#fail(new NothingToRun());
      return false;
    }
    try {
      this.result = await this.#session.run(this.#request(model), frame);
      this.decision = this.#session.decision;
      this.error = undefined;
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.stop();
    this.#watch?.stop();
    this.#session.dispose();
    this.#image?.close();
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
  }
}
