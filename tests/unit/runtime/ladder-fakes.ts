/** Fake engines for the ladder's scheduler tests: fixed timings, chosen outputs, counted runs. */
import type {
  EngineFactory,
  EngineKind,
  EngineLoadOptions,
  EngineProbe,
} from '../../../src/lib/runtime/ladder/index.ts';
import type { LoadedModel, RunResult, TensorArray, TensorInfo } from '../../../src/lib/runtime/index.ts';
import { ModelBuilder } from '../../../src/lib/tflite/index.ts';

/** A real (tiny) float model: y = relu(x), 1×8. The fakes never run it, the ladder reads it. */
export function tinyFloatModel(): Uint8Array {
  const b = new ModelBuilder({ description: 'ladder test model' });
  const x = b.addTensor({ name: 'x', dtype: 'float32', shape: [1, 8] });
  const y = b.addTensor({ name: 'y', dtype: 'float32', shape: [1, 8] });
  b.addOp({ op: 'RELU', inputs: [x], outputs: [y] });
  b.setInputs([x]);
  b.setOutputs([y]);
  return b.toBytes();
}

export interface FakeEngineSpec {
  kind: EngineKind;
  priority?: number;
  /** `ms` each timed run reports: one figure for every run, or one per run in order (the last repeats). */
  ms: number | number[];
  /** `ms` the first (warm-up) run reports; `ms` when not given. */
  warmUpMs?: number;
  /** Added to every output element (0 = the reference's answer). */
  error?: number;
  probe?: EngineProbe;
  loadThrows?: string;
  /** Real milliseconds a load takes (for the calibration's cap). */
  loadDelayMs?: number;
  runThrows?: string;
  edgeTpuOps?: boolean;
  /** Real milliseconds every run takes (to see runs of two engines overlap, or not). */
  runDelayMs?: number;
  /**
   * Shared by engines: how many runs are in progress now, and the most ever at once. A loaded
   * model's first run (the calibration's untimed warm-up) is not counted.
   */
  activity?: RunActivity;
}

export interface RunActivity {
  now: number;
  most: number;
}

const IO: TensorInfo = { name: 'x', dtype: 'float32', shape: [1, 8], scale: 0, zeroPoint: 0 };

export class FakeEngine implements EngineFactory {
  readonly kind: EngineKind;
  readonly label: string;
  readonly priority: number;
  readonly capabilities;
  spec: FakeEngineSpec;
  loads = 0;
  runs = 0;
  disposed = 0;
  /** Bytes of the last load (the CPU twin for engines without the Edge TPU op). */
  lastBytes: Uint8Array | undefined;

  constructor(spec: FakeEngineSpec) {
    this.spec = spec;
    this.kind = spec.kind;
    this.label = `fake ${spec.kind}`;
    this.priority = spec.priority ?? { edgetpu: 30, webgpu: 20, webnn: 15, wasm: 10 }[spec.kind];
    this.capabilities = {
      edgeTpuOps: spec.edgeTpuOps ?? spec.kind === 'edgetpu',
      dtypes: ['float32', 'uint8', 'int8', 'int32'] as const,
      quantized: true,
      reefKernels: spec.kind === 'wasm',
    };
  }

  #ms(run: number): number {
    const { ms, warmUpMs } = this.spec;
    if (run === 0 && warmUpMs !== undefined) return warmUpMs;
    if (typeof ms === 'number') return ms;
    return ms[Math.min(Math.max(run - 1, 0), ms.length - 1)]!;
  }

  async probe(): Promise<EngineProbe> {
    return (
      this.spec.probe ?? {
        available: true,
        devices: [this.kind === 'wasm' ? 'cpu' : this.kind === 'edgetpu' ? 'usb:0' : 'gpu'],
      }
    );
  }

  async load(bytes: Uint8Array, device: string, options: EngineLoadOptions = {}): Promise<LoadedModel> {
    this.loads++;
    this.lastBytes = options.cpuTwin ?? bytes;
    if (this.spec.loadDelayMs) await new Promise((r) => setTimeout(r, this.spec.loadDelayMs));
    if (this.spec.loadThrows) throw new Error(this.spec.loadThrows);
    const placed = device === 'usb' ? 'usb:0' : device;
    let run = 0;
    return {
      inputs: [IO],
      outputs: [{ ...IO, name: 'y' }],
      engine: this.kind,
      device: placed,
      run: async (inputs: readonly TensorArray[]): Promise<RunResult> => {
        // Run 0 of this loaded model is its warm-up.
        this.runs++;
        if (this.spec.runThrows) throw new Error(this.spec.runThrows);
        const activity = run > 0 ? this.spec.activity : undefined;
        if (activity) activity.most = Math.max(activity.most, ++activity.now);
        if (this.spec.runDelayMs) await new Promise((r) => setTimeout(r, this.spec.runDelayMs));
        if (activity) activity.now--;
        const x = inputs[0] as Float32Array;
        const data = x.map((v) => Math.max(0, v) + (this.spec.error ?? 0));
        return { outputs: [{ ...IO, name: 'y', data }], engine: this.kind, device: placed, ms: this.#ms(run++) };
      },
      dispose: () => {
        this.disposed++;
      },
    };
  }
}
