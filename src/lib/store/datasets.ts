/**
 * Datasets for training: named classes holding image samples, kept in IndexedDB so captures
 * survive reloads and tab crashes. Every write is one transaction, so a crash leaves either the
 * old or the new state, never half a class.
 */
import { ReefError } from '../errors.ts';
import type { ClassRecord, DatasetRecord, ReefDb, SampleRecord, SampleSource } from './db.ts';
import { asSampleImage, sampleImageType, type SampleImageType } from './sample-image.ts';

export interface DatasetSnapshot {
  dataset: DatasetRecord;
  /** Sorted by `order`. */
  classes: ClassRecord[];
  /** Sorted by `seq`. */
  samples: SampleRecord[];
}

export interface NewSample {
  classId: string;
  image: Blob;
  source: SampleSource;
  createdAt?: number;
}

function newId(): string {
  return crypto.randomUUID();
}

function notFound(what: string, id: string): ReefError {
  return new ReefError('NOT_FOUND', `${what} ${id} does not exist`, { reason: `unknown-${what}` });
}

export class DatasetStore {
  readonly #db: ReefDb;
  readonly #now: () => number;

  constructor(db: ReefDb, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async createDataset(name: string): Promise<DatasetRecord> {
    const trimmed = name.trim();
    if (!trimmed) throw new ReefError('INVALID_ARGUMENT', 'a dataset needs a name', { reason: 'empty-name' });
    const time = this.#now();
    const record: DatasetRecord = { id: newId(), name: trimmed, createdAt: time, updatedAt: time, nextSeq: 0 };
    await this.#db.add('datasets', record);
    return record;
  }

  async listDatasets(): Promise<DatasetRecord[]> {
    return (await this.#db.getAll('datasets')).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async getDataset(id: string): Promise<DatasetRecord> {
    const record = await this.#db.get('datasets', id);
    if (!record) throw notFound('dataset', id);
    return record;
  }

  async renameDataset(id: string, name: string): Promise<void> {
    const tx = this.#db.transaction('datasets', 'readwrite');
    const record = await tx.store.get(id);
    if (!record) throw notFound('dataset', id);
    await tx.store.put({ ...record, name: name.trim() || record.name, updatedAt: this.#now() });
    await tx.done;
  }

  /** Removes the dataset with its classes, samples and cached embeddings. */
  async deleteDataset(id: string): Promise<void> {
    const tx = this.#db.transaction(['datasets', 'classes', 'samples', 'embeddings'], 'readwrite');
    for (const key of await tx.objectStore('classes').index('by-dataset').getAllKeys(id))
      await tx.objectStore('classes').delete(key);
    for (const key of await tx.objectStore('samples').index('by-dataset').getAllKeys(id)) {
      await tx.objectStore('samples').delete(key);
      for (const e of await tx.objectStore('embeddings').index('by-sample').getAllKeys(key))
        await tx.objectStore('embeddings').delete(e);
    }
    await tx.objectStore('datasets').delete(id);
    await tx.done;
  }

  async addClass(datasetId: string, name: string): Promise<ClassRecord> {
    const trimmed = name.trim();
    if (!trimmed) throw new ReefError('INVALID_ARGUMENT', 'a class needs a name', { reason: 'empty-name' });
    const tx = this.#db.transaction(['datasets', 'classes'], 'readwrite');
    const dataset = await tx.objectStore('datasets').get(datasetId);
    if (!dataset) throw notFound('dataset', datasetId);
    const existing = await tx.objectStore('classes').index('by-dataset').getAll(datasetId);
    if (existing.some((c) => c.name === trimmed))
      throw new ReefError('INVALID_ARGUMENT', `class "${trimmed}" already exists`, { reason: 'duplicate-class' });
    const time = this.#now();
    const record: ClassRecord = {
      id: newId(),
      datasetId,
      name: trimmed,
      order: existing.reduce((m, c) => Math.max(m, c.order + 1), 0),
      createdAt: time,
    };
    await tx.objectStore('classes').add(record);
    await tx.objectStore('datasets').put({ ...dataset, updatedAt: time });
    await tx.done;
    return record;
  }

  async renameClass(classId: string, name: string): Promise<void> {
    const tx = this.#db.transaction('classes', 'readwrite');
    const record = await tx.store.get(classId);
    if (!record) throw notFound('class', classId);
    await tx.store.put({ ...record, name: name.trim() || record.name });
    await tx.done;
  }

  /** Removes a class and its samples (with their cached embeddings). */
  async deleteClass(classId: string): Promise<void> {
    const tx = this.#db.transaction(['classes', 'samples', 'embeddings'], 'readwrite');
    for (const key of await tx.objectStore('samples').index('by-class').getAllKeys(classId)) {
      await tx.objectStore('samples').delete(key);
      for (const e of await tx.objectStore('embeddings').index('by-sample').getAllKeys(key))
        await tx.objectStore('embeddings').delete(e);
    }
    await tx.objectStore('classes').delete(classId);
    await tx.done;
  }

  async listClasses(datasetId: string): Promise<ClassRecord[]> {
    return (await this.#db.getAllFromIndex('classes', 'by-dataset', datasetId)).sort((a, b) => a.order - b.order);
  }

  /**
   * Adds samples in one transaction (a burst of camera captures lands together or not at all).
   * Each must be a raster image by its bytes; it is stored under the type its bytes show.
   */
  async addSamples(datasetId: string, samples: readonly NewSample[]): Promise<SampleRecord[]> {
    // Read before the transaction opens: it would commit itself while awaiting anything but IndexedDB.
    const types = await imageTypes(samples);
    const tx = this.#db.transaction(['datasets', 'classes', 'samples'], 'readwrite');
    const dataset = await tx.objectStore('datasets').get(datasetId);
    if (!dataset) throw notFound('dataset', datasetId);
    const classIds = new Set(await tx.objectStore('classes').index('by-dataset').getAllKeys(datasetId));
    const time = this.#now();
    let seq = dataset.nextSeq;
    const added: SampleRecord[] = [];
    for (const [i, sample] of samples.entries()) {
      if (!classIds.has(sample.classId)) throw notFound('class', sample.classId);
      const record: SampleRecord = {
        id: newId(),
        datasetId,
        classId: sample.classId,
        image: asSampleImage(sample.image, types[i], `sample ${i + 1}`),
        source: sample.source,
        createdAt: sample.createdAt ?? time,
        seq: seq++,
      };
      await tx.objectStore('samples').add(record);
      added.push(record);
    }
    await tx.objectStore('datasets').put({ ...dataset, nextSeq: seq, updatedAt: time });
    await tx.done;
    return added;
  }

  async addSample(datasetId: string, sample: NewSample): Promise<SampleRecord> {
    return (await this.addSamples(datasetId, [sample]))[0]!;
  }

  async deleteSample(sampleId: string): Promise<void> {
    const tx = this.#db.transaction(['samples', 'embeddings'], 'readwrite');
    for (const e of await tx.objectStore('embeddings').index('by-sample').getAllKeys(sampleId))
      await tx.objectStore('embeddings').delete(e);
    await tx.objectStore('samples').delete(sampleId);
    await tx.done;
  }

  async listSamples(datasetId: string, classId?: string): Promise<SampleRecord[]> {
    const all =
      classId === undefined
        ? await this.#db.getAllFromIndex('samples', 'by-dataset', datasetId)
        : (await this.#db.getAllFromIndex('samples', 'by-class', classId)).filter((s) => s.datasetId === datasetId);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** Sample counts per class id. */
  async countSamples(datasetId: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const c of await this.listClasses(datasetId)) counts.set(c.id, 0);
    for (const s of await this.listSamples(datasetId)) counts.set(s.classId, (counts.get(s.classId) ?? 0) + 1);
    return counts;
  }

  async snapshot(datasetId: string): Promise<DatasetSnapshot> {
    return {
      dataset: await this.getDataset(datasetId),
      classes: await this.listClasses(datasetId),
      samples: await this.listSamples(datasetId),
    };
  }

  /**
   * Writes a whole dataset (from a ZIP import) in one transaction under fresh ids, keeping names,
   * order, sequence numbers and times, so exporting it again gives the same bytes.
   */
  async restore(snapshot: DatasetSnapshot): Promise<DatasetRecord> {
    const types = await imageTypes(snapshot.samples);
    const images = snapshot.samples.map((s, i) => asSampleImage(s.image, types[i], `sample ${s.seq}`));
    const datasetId = newId();
    const classIds = new Map<string, string>();
    const tx = this.#db.transaction(['datasets', 'classes', 'samples'], 'readwrite');
    const dataset: DatasetRecord = { ...snapshot.dataset, id: datasetId };
    await tx.objectStore('datasets').add(dataset);
    for (const c of snapshot.classes) {
      const id = newId();
      classIds.set(c.id, id);
      await tx.objectStore('classes').add({ ...c, id, datasetId });
    }
    for (const [i, s] of snapshot.samples.entries()) {
      const classId = classIds.get(s.classId);
      if (!classId) throw notFound('class', s.classId);
      await tx.objectStore('samples').add({ ...s, image: images[i]!, id: newId(), datasetId, classId });
    }
    await tx.done;
    return dataset;
  }
}

function imageTypes(samples: readonly { image: Blob }[]): Promise<(SampleImageType | undefined)[]> {
  return Promise.all(samples.map((s) => sampleImageType(s.image)));
}
