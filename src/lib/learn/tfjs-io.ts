/**
 * tfjs models as files: model.json + one weights.bin (the layout `tf.loadLayersModel` and the
 * tfjs converter use), written and read entirely in memory so the page, the worker and the CLI
 * share it.
 */
import { ReefError } from '../errors.ts';
import { tf } from './tfjs.ts';

export interface TfjsModelFiles {
  /** model.json text. */
  modelJson: string;
  /** weights.bin bytes. */
  weights: Uint8Array;
}

export const WEIGHTS_FILE = 'weights.bin';

export async function saveTfjsModel(model: tf.LayersModel): Promise<TfjsModelFiles> {
  let files: TfjsModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const weights = data
        ? new Uint8Array(Array.isArray(data) ? await new Blob(data).arrayBuffer() : data.slice(0))
        : new Uint8Array(0);
      files = {
        modelJson: JSON.stringify({
          format: 'layers-model',
          generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        }),
        weights,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new ReefError('INTERNAL', 'tfjs did not hand over the model artifacts', { reason: 'save-failed' });
  return files;
}

interface ModelJson {
  modelTopology?: object;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Loads model.json with its weight files. `readWeights(path)` returns the bytes of a file named in
 * the manifest (relative to model.json).
 */
export async function loadTfjsModel(
  modelJson: string,
  readWeights: (path: string) => Promise<Uint8Array>,
): Promise<tf.LayersModel> {
  let parsed: ModelJson;
  try {
    parsed = JSON.parse(modelJson) as ModelJson;
  } catch (cause) {
    throw new ReefError('INVALID_ARGUMENT', 'model.json is not valid JSON', { reason: 'bad-model-json', cause });
  }
  if (!parsed.modelTopology || !Array.isArray(parsed.weightsManifest))
    throw new ReefError('INVALID_ARGUMENT', 'model.json is not a tfjs layers model (no modelTopology)', {
      reason: 'not-a-layers-model',
    });
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of parsed.weightsManifest) {
    for (const path of group.paths) chunks.push(await readWeights(path));
    specs.push(...group.weights);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    weightData.set(c, offset);
    offset += c.length;
  }
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: specs, weightData: weightData.buffer }),
  );
}
