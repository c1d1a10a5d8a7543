/**
 * Runs a model compiled as N segments across devices: segment k's outputs feed segment k+1's
 * inputs. Each segment is a stage with its own worker loop, so while segment 1 works on frame n,
 * segment 0 already works on frame n+1. Queues between stages are bounded (backpressure: `push`
 * waits when the first queue is full), results come out in input order, and stages placed on the
 * same device take turns on it (fewer devices than segments still works, just without overlap).
 */
import { ReefError } from '../../errors.ts';
import type { DevicePool, PoolOpRunner } from './device-pool.ts';
import { checkSegmentSet } from './segment-set.ts';

export { orderSegments, segmentOf } from './segment-set.ts';

/** What flows between segments by default: one typed array per tensor, in the segment's order. */
export type Tensors = ArrayBufferView[];

export interface PipelineStage<T = Tensors> {
  /** Shown in stats and errors, e.g. `segment 0 on usb:1`. */
  name: string;
  /** Stages with the same device id never run at the same time. */
  deviceId: string;
  run(inputs: T): Promise<T>;
}

export interface StageStats {
  name: string;
  deviceId: string;
  runs: number;
  totalMs: number;
  meanMs: number;
}

export interface PipelineOptions {
  /** Items that may wait between two stages (and before the first). */
  queueDepth?: number;
  now?: () => number;
}

interface Item<T> {
  seq: number;
  tensors: T;
}

type Outcome<T> = { ok: true; seq: number; tensors: T } | { ok: false; seq: number; error: unknown };

/** A FIFO whose `put` waits while full and whose `take` waits while empty; `close` ends both. */
class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #closed = false;
  #takers: ((value: T | undefined) => void)[] = [];
  #putters: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  get size(): number {
    return this.#items.length;
  }
  async put(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => this.#putters.push(resolve));
    }
    if (this.#closed) throw new ReefError('CANCELLED', 'pipeline stopped');
    const taker = this.#takers.shift();
    if (taker) taker(item);
    else this.#items.push(item);
  }
  async take(): Promise<T | undefined> {
    const item = this.#items.shift();
    if (item !== undefined) {
      this.#putters.shift()?.();
      return item;
    }
    if (this.#closed) return undefined;
    return new Promise<T | undefined>((resolve) => this.#takers.push(resolve));
  }
  close(): void {
    this.#closed = true;
    for (const t of this.#takers.splice(0)) t(undefined);
    for (const p of this.#putters.splice(0)) p();
  }
  drain(): T[] {
    return this.#items.splice(0);
  }
}

/** One lock per device: stages sharing a TPU queue for it in arrival order. */
class DeviceLocks {
  readonly #tails = new Map<string, Promise<void>>();
  async with<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(deviceId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#tails.set(
      deviceId,
      previous.then(() => mine),
    );
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

export class PipelinedRunner<T = Tensors> {
  readonly #stages: PipelineStage<T>[];
  readonly #queues: BoundedQueue<Outcome<T> | Item<T>>[];
  readonly #results = new Map<number, Outcome<T>>();
  readonly #waiters = new Map<number, (o: Outcome<T>) => void>();
  readonly #stats: StageStats[];
  readonly #locks = new DeviceLocks();
  readonly #now: () => number;
  readonly #loops: Promise<void>[];
  #nextIn = 0;
  #nextOut = 0;
  #stopped = false;

  constructor(stages: PipelineStage<T>[], options: PipelineOptions = {}) {
    if (stages.length === 0) throw new ReefError('INVALID_ARGUMENT', 'a pipeline needs at least one segment');
    const depth = options.queueDepth ?? 2;
    if (!Number.isInteger(depth) || depth < 1)
      throw new ReefError('INVALID_ARGUMENT', `queue depth ${depth} must be ≥ 1`);
    this.#stages = stages;
    this.#now = options.now ?? (() => performance.now());
    this.#queues = stages.map(() => new BoundedQueue<Outcome<T> | Item<T>>(depth));
    this.#stats = stages.map((s) => ({ name: s.name, deviceId: s.deviceId, runs: 0, totalMs: 0, meanMs: 0 }));
    this.#loops = stages.map((_, k) => this.#stageLoop(k));
  }

  /** Number of items pushed whose result has not been popped yet. */
  get inFlight(): number {
    return Math.max(0, this.#nextIn - this.#nextOut);
  }

  /** Queues an input for segment 0; waits while the pipeline is full. */
  async push(inputs: T): Promise<void> {
    if (this.#stopped) throw new ReefError('FAILED_PRECONDITION', 'pipeline is stopped');
    const seq = this.#nextIn++;
    await this.#queues[0]!.put({ seq, tensors: inputs });
  }

  /**
   * The next result in input order; throws the error of the segment that failed for that item.
   * A consumer may pop ahead of the producer: the pop waits for its push (or for stop()).
   */
  async pop(): Promise<T> {
    if (this.#stopped && this.#nextOut >= this.#nextIn) throw cancelled();
    const seq = this.#nextOut++;
    const ready = this.#results.get(seq);
    const outcome = ready ?? (await new Promise<Outcome<T>>((resolve) => this.#waiters.set(seq, resolve)));
    this.#results.delete(seq);
    if (!outcome.ok) throw outcome.error;
    return outcome.tensors;
  }

  /** Waits for every pushed item and returns their results in order. */
  async flush(): Promise<T[]> {
    const out: T[] = [];
    while (this.inFlight > 0) out.push(await this.pop());
    return out;
  }

  /** Stops accepting work; queued items are dropped and pending pops fail with CANCELLED. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const q of this.#queues) {
      for (const item of q.drain()) this.#finish({ ok: false, seq: item.seq, error: cancelled() });
      q.close();
    }
    await Promise.allSettled(this.#loops);
    for (let seq = this.#nextOut; seq < this.#nextIn; seq++) {
      if (!this.#results.has(seq)) this.#finish({ ok: false, seq, error: cancelled() });
    }
    // Pops that ran ahead of any push.
    for (const [seq, waiter] of this.#waiters) {
      this.#waiters.delete(seq);
      waiter({ ok: false, seq, error: cancelled() });
    }
  }

  stats(): StageStats[] {
    return this.#stats.map((s) => ({ ...s }));
  }

  async #stageLoop(k: number): Promise<void> {
    const stage = this.#stages[k]!;
    const last = k === this.#stages.length - 1;
    for (;;) {
      const item = await this.#queues[k]!.take();
      if (item === undefined) return;
      let outcome: Outcome<T>;
      if ('ok' in item) {
        outcome = item; // an earlier segment failed: pass the failure along in order
      } else {
        const started = this.#now();
        try {
          const tensors = await this.#locks.with(stage.deviceId, () => stage.run(item.tensors));
          outcome = { ok: true, seq: item.seq, tensors };
        } catch (error) {
          outcome = { ok: false, seq: item.seq, error };
        }
        const s = this.#stats[k]!;
        s.runs++;
        s.totalMs += this.#now() - started;
        s.meanMs = s.totalMs / s.runs;
      }
      if (last) this.#finish(outcome);
      else {
        try {
          await this.#queues[k + 1]!.put(outcome.ok ? { seq: outcome.seq, tensors: outcome.tensors } : outcome);
        } catch {
          // The next queue closed because the pipeline stopped; stop() settles this item.
          return;
        }
      }
    }
  }

  #finish(outcome: Outcome<T>): void {
    const waiter = this.#waiters.get(outcome.seq);
    if (waiter) {
      this.#waiters.delete(outcome.seq);
      waiter(outcome);
    } else this.#results.set(outcome.seq, outcome);
  }
}

function cancelled(): ReefError {
  return new ReefError('CANCELLED', 'pipeline stopped before this input finished');
}

/**
 * Which device runs each of `segments` segments: one each while devices last; with fewer devices
 * than segments, neighbouring segments share one (contiguous blocks, so a device hands its output
 * to itself rather than back and forth).
 */
export function assignSegmentDevices(segments: number, devices: readonly string[]): string[] {
  if (devices.length === 0) throw new ReefError('INVALID_ARGUMENT', 'a pipeline needs at least one device');
  return [...Array(segments).keys()].map(
    (k) => devices[Math.floor((k * Math.min(devices.length, segments)) / segments)]!,
  );
}

/** One typed array per tensor, as the runtime's engines take and give them. */
export type SegmentArray = Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | BigInt64Array;

/** A loaded segment, shaped like the runtime's `LoadedModel` (the runtime sits above this layer). */
export interface SegmentModel {
  run(inputs: readonly SegmentArray[]): Promise<{ outputs: readonly { data: SegmentArray }[] }>;
  dispose(): void;
}

export interface SegmentSource {
  /** File name (`…_segment_K_of_N_edgetpu.tflite` decides the order) or any label. */
  name: string;
  bytes: Uint8Array;
}

export interface SegmentPipelineOptions extends PipelineOptions {
  /** Devices to spread the segments over (`usb:0`, …); fewer than segments is fine. */
  devices: readonly string[];
  /**
   * Loads one segment with its Edge TPU op placed on `runner` — typically
   * `new PartitionedEngine({ runtime, tpu: runner }).load(bytes)`, which also runs the segment's
   * CPU ops (e.g. the SSD's DEQUANTIZE → TFLite_Detection_PostProcess tail) in WASM.
   */
  loadSegment(bytes: Uint8Array, runner: PoolOpRunner, deviceId: string): Promise<SegmentModel>;
}

export interface SegmentPipeline {
  runner: PipelinedRunner<SegmentArray[]>;
  /** Segment k runs on `devices[k]`. */
  devices: string[];
  segments: string[];
  /** Stops the runner and unloads every segment. */
  close(): Promise<void>;
}

/**
 * Loads `*_segment_K_of_N_edgetpu.tflite` files into the pool, segment k on its device, and wires
 * them into a pipelined runner (the set is checked first: checkSegmentSet): `push(inputs)`, `pop()` → the last segment's outputs, in order.
 */
export async function createSegmentPipeline(
  pool: DevicePool,
  sources: readonly SegmentSource[],
  options: SegmentPipelineOptions,
): Promise<SegmentPipeline> {
  // Checked before anything is placed: names complete the set, and each cut's tensors agree.
  const { segments: ordered, feeds } = checkSegmentSet(sources);
  const devices = assignSegmentDevices(ordered.length, options.devices);
  const models: SegmentModel[] = [];
  try {
    for (const [k, source] of ordered.entries()) {
      const deviceId = devices[k]!;
      models.push(
        await options.loadSegment(source.bytes, pool.opRunner({ device: deviceId, name: source.name }), deviceId),
      );
    }
  } catch (error) {
    for (const m of models) m.dispose();
    throw error;
  }
  const stages: PipelineStage<SegmentArray[]>[] = ordered.map((source, k) => ({
    name: `segment ${k} (${source.name}) on ${devices[k]}`,
    deviceId: devices[k]!,
    run: async (inputs) => {
      // Segment k takes the previous segment's outputs in its own input order (matched by name).
      const fed = k === 0 ? inputs : feeds[k]!.map((from) => inputs[from]!);
      return (await models[k]!.run(fed)).outputs.map((t) => t.data);
    },
  }));
  const runner = new PipelinedRunner(stages, options);
  return {
    runner,
    devices,
    segments: ordered.map((s) => s.name),
    async close() {
      await runner.stop();
      for (const m of models) m.dispose();
    },
  };
}
