/**
 * Teachable Machine image projects onto the Edge TPU. An export is `model.json` (a tfjs Sequential:
 * a truncated MobileNetV2 nested as a model, then the Dense head), `weights.bin` and
 * `metadata.json` (labels, image size), as a ZIP or as the three files. Its preprocessing is
 * `@teachablemachine/image`'s: center square crop, resize to the image size, then x / 127 − 1.
 * Reef quantizes it to full-int8 (uint8 I/O, labels embedded: ready for the Edge TPU compiler and
 * runnable in WASM as it is) and reports top-1 agreement with the float model on given images.
 */
import { ReefError } from '../errors.ts';
import type { RgbaImage } from '../tasks/index.ts';
import {
  checkEdgeTpuCompatibility,
  listZip,
  readModel,
  readZipEntry,
  ZipBudget,
  type CompatibilityReport,
} from '../tflite/index.ts';
import { centerCrop, rgbBytes } from './augment.ts';
import { emitModel } from './emit.ts';
import { labelsFile } from './compose.ts';
import { quantizeLayersModel, type Calibration, type PtqReport } from './ptq/quantize.ts';
import { tf } from './tfjs.ts';
import { loadTfjsModel } from './tfjs-io.ts';

export interface TeachableExport {
  modelJson: string;
  weights: Uint8Array;
  labels: string[];
  imageSize: number;
}

export interface TeachableFile {
  name: string;
  bytes: Uint8Array;
}

/** Bounds for an uploaded export: TM image models are a few MB. */
const ZIP_LIMITS = { maxEntries: 16, maxEntryBytes: 64 * 1024 * 1024, maxTotalBytes: 96 * 1024 * 1024 };

function refused(message: string, reason: string): ReefError {
  return new ReefError('INVALID_ARGUMENT', message, { reason });
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** The three files, from a ZIP (any folder inside) or given one by one. */
export function readTeachableExport(files: readonly TeachableFile[]): TeachableExport {
  let parts = files;
  if (files.length === 1 && files[0]!.name.toLowerCase().endsWith('.zip')) {
    const zip = files[0]!.bytes;
    const budget = new ZipBudget(ZIP_LIMITS.maxTotalBytes);
    parts = listZip(zip, ZIP_LIMITS)
      .filter((e) => !e.name.endsWith('/'))
      .map((e) => ({ name: e.name, bytes: readZipEntry(zip, e, budget) }));
  }
  const find = (name: string) => parts.find((p) => baseName(p.name).toLowerCase() === name);
  const missing = ['model.json', 'weights.bin', 'metadata.json'].filter((n) => !find(n));
  if (missing.length)
    throw refused(
      `not a Teachable Machine image export: ${missing.join(', ')} missing (expected model.json, weights.bin and metadata.json, or their ZIP)`,
      'not-a-teachable-export',
    );
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  let metadata: { labels?: unknown; imageSize?: unknown };
  try {
    metadata = JSON.parse(text(find('metadata.json')!.bytes)) as typeof metadata;
  } catch (cause) {
    throw new ReefError('INVALID_ARGUMENT', 'metadata.json is not valid JSON', { reason: 'bad-metadata', cause });
  }
  const labels = metadata.labels;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string' && l.length > 0))
    throw refused('metadata.json has no "labels" list of at least two class names', 'bad-metadata');
  const imageSize = metadata.imageSize === undefined ? 224 : Number(metadata.imageSize);
  if (!Number.isInteger(imageSize) || imageSize < 8 || imageSize > 1024)
    throw refused(
      `metadata.json gives image size ${String(metadata.imageSize)}; 8…1024 pixels are supported`,
      'bad-metadata',
    );
  return { modelJson: text(find('model.json')!.bytes), weights: find('weights.bin')!.bytes, labels, imageSize };
}

/** Teachable Machine's preprocessing: center square crop, resize, x / 127 − 1. */
export function teachableBatch(images: readonly RgbaImage[], size: number): tf.Tensor4D {
  const data = new Float32Array(images.length * size * size * 3);
  images.forEach((image, i) => {
    const px = rgbBytes(image.width === size && image.height === size ? image : centerCrop(image, size, size));
    for (let j = 0; j < px.length; j++) data[i * size * size * 3 + j] = px[j]! / 127 - 1;
  });
  return tf.tensor4d(data, [images.length, size, size, 3]);
}

/** What pixel bytes 0…255 become after x / 127 − 1: the input range the quantized model expects. */
export const TEACHABLE_INPUT_RANGE = { min: -1, max: 255 / 127 - 1 };

export interface TeachableQuantizeOptions {
  calibration?: Calibration;
}

export interface TeachableResult {
  labels: string[];
  /** Full-int8 (uint8 I/O), labels embedded: passes the Edge TPU check, runs in WASM as it is. */
  model: Uint8Array;
  compatibility: CompatibilityReport;
  report: PtqReport;
  /** Float model vs the quantized graph (int8 simulation) on `check` images: top-1 matches. */
  agreement: { agree: number; total: number };
}

/**
 * Quantizes a Teachable Machine export. `calibration` images set the ranges; `check` images
 * (held out from calibration, ideally) measure top-1 agreement of the quantized model with the
 * float one, run by the caller's engine through `runQuantized`.
 */
export async function quantizeTeachable(
  exported: TeachableExport,
  calibration: readonly RgbaImage[],
  check: readonly RgbaImage[],
  runQuantized: (model: Uint8Array, pixels: Uint8Array) => Promise<ArrayLike<number>>,
  options: TeachableQuantizeOptions = {},
): Promise<TeachableResult> {
  if (!calibration.length) throw refused('quantizing needs at least one calibration image', 'no-calibration-images');
  const model = await loadTfjsModel(exported.modelJson, async () => exported.weights);
  try {
    const shape = model.inputs[0]?.shape ?? [];
    if (shape.length !== 4 || shape[1] !== exported.imageSize || shape[2] !== exported.imageSize || shape[3] !== 3)
      throw refused(
        `model.json takes [${shape.join(',')}], metadata.json says ${exported.imageSize}×${exported.imageSize} RGB`,
        'teachable-shape-mismatch',
      );
    const outUnits = model.outputs[0]?.shape.at(-1);
    if (outUnits !== exported.labels.length)
      throw refused(
        `the model has ${String(outUnits)} outputs for ${exported.labels.length} labels in metadata.json`,
        'teachable-label-mismatch',
      );
    const x = teachableBatch(calibration, exported.imageSize);
    let spec;
    let report: PtqReport;
    try {
      ({ spec, report } = quantizeLayersModel(model, x, {
        io: 'uint8',
        inputRange: TEACHABLE_INPUT_RANGE,
        ...(options.calibration ? { calibration: options.calibration } : {}),
        description: `Teachable Machine image model (${exported.labels.length} classes), full-int8 by Reef`,
      }));
    } finally {
      x.dispose();
    }
    const bytes = emitModel(spec, { 'labels.txt': labelsFile(exported.labels) });
    let agree = 0;
    for (const image of check) {
      const cropped =
        image.width === exported.imageSize && image.height === exported.imageSize
          ? image
          : centerCrop(image, exported.imageSize, exported.imageSize);
      const floatTop = tf.tidy(() => {
        const t = teachableBatch([cropped], exported.imageSize);
        return (model.predict(t) as tf.Tensor).argMax(-1).dataSync()[0]!;
      });
      const scores = await runQuantized(bytes, rgbBytes(cropped));
      let best = 0;
      for (let c = 1; c < scores.length; c++) if (scores[c]! > scores[best]!) best = c;
      if (best === floatTop) agree++;
    }
    return {
      labels: [...exported.labels],
      model: bytes,
      compatibility: checkEdgeTpuCompatibility(readModel(bytes)),
      report,
      agreement: { agree, total: check.length },
    };
  } finally {
    model.dispose();
  }
}
