/**
 * Embeddings from an extractor model on any Engine (the compiled extractor on the Edge TPU or its
 * CPU twin in WASM), dequantized to float, cached per (sample, extractor) so re-training after a
 * new capture only embeds the new sample.
 */
import { ReefError } from '../errors.ts';
import { sha256Hex } from '../sha256.ts';
import { dequantize, type LoadedModel } from '../runtime/index.ts';
import { imageToTensor, type RgbaImage } from '../tasks/index.ts';
import type { HeadInput } from './head-spec.ts';

export interface EmbeddingCache {
  get(sampleId: string, extractorId: string): Promise<Float32Array | undefined>;
  put(sampleId: string, extractorId: string, vector: Float32Array): Promise<void>;
}

export class MemoryEmbeddingCache implements EmbeddingCache {
  readonly #map = new Map<string, Float32Array>();
  hits = 0;
  async get(sampleId: string, extractorId: string): Promise<Float32Array | undefined> {
    const v = this.#map.get(`${extractorId}\n${sampleId}`);
    if (v) this.hits++;
    return v;
  }
  async put(sampleId: string, extractorId: string, vector: Float32Array): Promise<void> {
    this.#map.set(`${extractorId}\n${sampleId}`, vector);
  }
}

/** sha256 of the extractor's bytes: the cache key that tells extractors apart. */
export const extractorId: (model: Uint8Array) => Promise<string> = sha256Hex;

/** Which kind of engine computed an embedding: the Edge TPU's and WASM's differ slightly. */
export type EmbeddingEngine = 'edgetpu' | 'wasm';

/**
 * The cache key of an embedding: extractor AND engine, so a training run never mixes vectors the
 * TPU computed with vectors its CPU twin computed.
 */
export function embeddingKey(extractorSha256: string, engine: EmbeddingEngine): string {
  return `${extractorSha256}:${engine}`;
}

/** The extractor's output as the head's input (dtype, quantization, shape). */
export function extractorOutput(model: LoadedModel): HeadInput {
  const out = model.outputs[0];
  if (!out || (out.dtype !== 'uint8' && out.dtype !== 'int8') || out.scale === 0)
    throw new ReefError(
      'INVALID_ARGUMENT',
      `the extractor's output must be a quantized uint8/int8 tensor (got ${out ? out.dtype : 'none'})`,
      { reason: 'extractor-not-quantized' },
    );
  return { name: out.name, dtype: out.dtype, shape: [...out.shape], scale: out.scale, zeroPoint: out.zeroPoint };
}

export interface EmbedOptions {
  cache?: EmbeddingCache;
  extractorId?: string;
  /** Sample ids parallel to the images, for the cache. */
  ids?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Embeds images one by one; returns n × dim floats. */
export async function embedImages(
  extractor: LoadedModel,
  images: readonly RgbaImage[],
  options: EmbedOptions = {},
): Promise<{ embeddings: Float32Array; dim: number; cached: number }> {
  const input = extractor.inputs[0];
  if (!input) throw new ReefError('INVALID_ARGUMENT', 'the extractor has no input', { reason: 'no-input' });
  const dim = extractor.outputs[0]!.shape.reduce((a, b) => a * b, 1);
  const embeddings = new Float32Array(images.length * dim);
  let cached = 0;
  for (let i = 0; i < images.length; i++) {
    if (options.signal?.aborted) throw new ReefError('CANCELLED', 'embedding was cancelled', { reason: 'cancelled' });
    const id = options.ids?.[i];
    const key = options.extractorId;
    let vector = id !== undefined && key && options.cache ? await options.cache.get(id, key) : undefined;
    if (vector) cached++;
    else {
      const prepared = imageToTensor(images[i]!, input);
      const result = await extractor.run([prepared.data]);
      vector = dequantize(result.outputs[0]!);
      if (id !== undefined && key && options.cache) await options.cache.put(id, key, vector);
    }
    embeddings.set(vector, i * dim);
    options.onProgress?.(i + 1, images.length);
  }
  return { embeddings, dim, cached };
}
