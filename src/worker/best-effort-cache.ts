/**
 * The embedding cache only saves time: with the disk full, training goes on without storing
 * vectors instead of failing (the page reports a full disk where a write matters).
 */
import type { EmbeddingCache } from '../lib/learn/embeddings.ts';
import { isQuotaError } from '../lib/store/persistence.ts';

export class BestEffortEmbeddingCache implements EmbeddingCache {
  readonly #inner: EmbeddingCache;
  constructor(inner: EmbeddingCache) {
    this.#inner = inner;
  }

  get(sampleId: string, extractorId: string): Promise<Float32Array | undefined> {
    return this.#inner.get(sampleId, extractorId);
  }

  async put(sampleId: string, extractorId: string, vector: Float32Array): Promise<void> {
    try {
      await this.#inner.put(sampleId, extractorId, vector);
    } catch (error) {
      if (!isQuotaError(error)) throw error;
    }
  }
}
