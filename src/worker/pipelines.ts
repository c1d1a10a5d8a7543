/**
 * Segment pipelines in the worker: a model compiled as `*_segment_K_of_N_edgetpu.tflite` files,
 * spread over the worker's Edge TPUs (the device pool), each segment's CPU ops in LiteRT.js. The
 * page pushes inputs and pops outputs in order by pipeline id; queues are bounded, so a push waits
 * while the pipeline is full.
 */
import type { DevicePool, SegmentPipeline, SegmentSource, StageStats } from '../lib/edgetpu/index.ts';
import { createSegmentPipeline } from '../lib/edgetpu/index.ts';
import { ReefError } from '../lib/errors.ts';
import {
  LiteRtRuntime,
  PartitionedEngine,
  workerLiteRtLoader,
  type LiteRtLoader,
  type TensorArray,
} from '../lib/runtime/index.ts';

export interface PipelineInfo {
  id: string;
  /** Segment file names in pipeline order. */
  segments: string[];
  /** Device of each segment. */
  devices: string[];
}

export interface PipelineLoadOptions {
  /** Devices to spread the segments over; default: the ready TPUs, one per segment while they last. */
  devices?: string[];
  queueDepth?: number;
}

/** The worker's LiteRT.js files, served from our own origin under /litert/ (as engines.ts does). */
function defaultLoader(): LiteRtLoader {
  // Typed locally: this file is also compiled for Node tests, which lack Vite's `ImportMeta.env`.
  const base = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return workerLiteRtLoader({ baseUrl: new URL(`${base}litert/`, self.location.origin).href });
}

export class WorkerPipelines {
  readonly #pool: DevicePool | undefined;
  readonly #loader: () => LiteRtLoader;
  #runtime: LiteRtRuntime | undefined;
  readonly #pipelines = new Map<string, SegmentPipeline>();
  #nextId = 0;

  constructor(pool: DevicePool | undefined, loader: () => LiteRtLoader = defaultLoader) {
    this.#pool = pool;
    this.#loader = loader;
  }

  async load(sources: SegmentSource[], options: PipelineLoadOptions = {}): Promise<PipelineInfo> {
    const pool = this.#pool;
    if (!pool) {
      throw new ReefError('UNAVAILABLE', 'WebUSB is not available in this browser, so no Edge TPU can run a pipeline', {
        reason: 'no-webusb',
      });
    }
    const ready = (await pool.refresh()).filter((d) => d.personality === 'app').map((d) => d.id);
    const devices = options.devices ?? ready.slice(0, Math.max(1, sources.length));
    if (devices.length === 0) {
      throw new ReefError('UNAVAILABLE', 'no Edge TPU is ready: connect a Coral (and flash its firmware) first', {
        reason: 'no-tpu',
      });
    }
    this.#runtime ??= new LiteRtRuntime(this.#loader());
    const runtime = this.#runtime;
    const pipeline = await createSegmentPipeline(pool, sources, {
      devices,
      ...(options.queueDepth !== undefined ? { queueDepth: options.queueDepth } : {}),
      loadSegment: (bytes, tpu) => new PartitionedEngine({ runtime, tpu }).load(bytes),
    });
    const id = `p${++this.#nextId}`;
    this.#pipelines.set(id, pipeline);
    return { id, segments: pipeline.segments, devices: pipeline.devices };
  }

  push(id: string, inputs: TensorArray[]): Promise<void> {
    return this.#get(id).runner.push(inputs);
  }

  pop(id: string): Promise<TensorArray[]> {
    return this.#get(id).runner.pop();
  }

  stats(id: string): StageStats[] {
    return this.#get(id).runner.stats();
  }

  async close(id: string): Promise<void> {
    const pipeline = this.#pipelines.get(id);
    this.#pipelines.delete(id);
    await pipeline?.close();
  }

  #get(id: string): SegmentPipeline {
    const pipeline = this.#pipelines.get(id);
    if (!pipeline) throw new ReefError('NOT_FOUND', `no pipeline "${id}"`, { reason: 'unknown-pipeline' });
    return pipeline;
  }
}
