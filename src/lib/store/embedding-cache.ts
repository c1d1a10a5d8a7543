/**
 * Embedding vectors cached per (sample, extractor): re-training after adding one sample only runs
 * the extractor on that sample. Satisfies learn's `EmbeddingCache` interface structurally.
 */
import type { ReefDb } from './db.ts';

export class IdbEmbeddingCache {
  readonly #db: ReefDb;
  constructor(db: ReefDb) {
    this.#db = db;
  }

  async get(sampleId: string, extractorId: string): Promise<Float32Array | undefined> {
    return (await this.#db.get('embeddings', [sampleId, extractorId]))?.vector;
  }

  async put(sampleId: string, extractorId: string, vector: Float32Array): Promise<void> {
    await this.#db.put('embeddings', { sampleId, extractorId, vector, createdAt: Date.now() });
  }

  async clear(extractorId?: string): Promise<void> {
    if (extractorId === undefined) return this.#db.clear('embeddings');
    const tx = this.#db.transaction('embeddings', 'readwrite');
    for (const key of await tx.store.getAllKeys()) if (key[1] === extractorId) await tx.store.delete(key);
    await tx.done;
  }
}
