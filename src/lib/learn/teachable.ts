/**
 * Teachable Machine image projects onto the Edge TPU. An export is `model.json` (a tfjs Sequential:
 * a truncated MobileNetV2 nested as a model, then the Dense head), `weights.bin` and
 * `metadata.json` (labels, image size), as a ZIP or as the three files. Its preprocessing is
 * `@teachablemachine/image`'s: center square crop, resize to the image size, then x / 127 − 1.
 * Reef quantizes it to full-int8 once and writes it two ways, labels embedded in both: the Edge TPU
 * model (uint8 I/O: pixel bytes in, as the TPU path needs) and the CPU model (float32 I/O: TM's
 * preprocessed input in and probabilities out, like the float model, for WASM and other CPU
 * runtimes). Top-1 agreement with the float model is measured for each on given images.
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
import { compareTop1, tallyTop1, type Top1Agreement, type Top1Outcome } from './agreement.ts';
import { labelsFile } from './compose.ts';
import { quantizeLayersModelAs, type Calibration, type PtqReport } from './ptq/quantize.ts';
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

function squareCrop(image: RgbaImage, size: number): RgbaImage {
  return image.width === size && image.height === size ? image : centerCrop(image, size, size);
}

/** Teachable Machine's value mapping of pixel bytes: x / 127 − 1. */
export function teachableValues(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (v) => v / 127 - 1);
}

/** Teachable Machine's preprocessing: center square crop, resize, x / 127 − 1. */
export function teachableBatch(images: readonly RgbaImage[], size: number): tf.Tensor4D {
  const data = new Float32Array(images.length * size * size * 3);
  images.forEach((image, i) => data.set(teachableValues(rgbBytes(squareCrop(image, size))), i * size * size * 3));
  return tf.tensor4d(data, [images.length, size, size, 3]);
}

/** What pixel bytes 0…255 become after x / 127 − 1: the input range the quantized model expects. */
export const TEACHABLE_INPUT_RANGE = { min: -1, max: 255 / 127 - 1 };

export interface TeachableQuantizeOptions {
  calibration?: Calibration;
}

export interface TeachableResult {
  labels: string[];
  /**
   * The Edge TPU model: full-int8 with uint8 I/O (pixel bytes in: x / 127 − 1 is exactly its input
   * quantization), labels embedded; passes the Edge TPU check, ready for edgetpu_compiler.
   */
  model: Uint8Array;
  compatibility: CompatibilityReport;
  /**
   * The CPU model: the same int8 graph with float32 I/O (QUANTIZE in, DEQUANTIZE out): takes
   * x / 127 − 1 and gives probabilities, as the float model does; labels embedded. Runs in WASM.
   */
  cpuModel: Uint8Array;
  report: PtqReport;
  /** Top-1 agreement of the Edge TPU model with the float model on the `check` images. */
  agreement: Top1Agreement;
  /** The same for the CPU model. */
  cpuAgreement: Top1Agreement;
}

/**
 * Runs quantized model bytes on one input (pixel bytes for the Edge TPU model, x / 127 − 1 floats
 * for the CPU model) with the caller's engine and gives its first output.
 */
export type RunQuantized = (model: Uint8Array, input: Uint8Array | Float32Array) => Promise<ArrayLike<number>>;

/**
 * Quantizes a Teachable Machine export. `calibration` images set the ranges; `check` images
 * (held out from calibration, ideally) measure top-1 agreement of both quantized models with the
 * float one, run by the caller's engine through `runQuantized`.
 */
export async function quantizeTeachable(
  exported: TeachableExport,
  calibration: readonly RgbaImage[],
  check: readonly RgbaImage[],
  runQuantized: RunQuantized,
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
    let specs;
    let report: PtqReport;
    try {
      // One calibration for both: the CPU model is the Edge TPU model's graph with float edges.
      ({ specs, report } = quantizeLayersModelAs(model, x, ['uint8', 'float32'], {
        inputRange: TEACHABLE_INPUT_RANGE,
        ...(options.calibration ? { calibration: options.calibration } : {}),
        description: `Teachable Machine image model (${exported.labels.length} classes), full-int8 by Reef`,
      }));
    } finally {
      x.dispose();
    }
    const labels = { 'labels.txt': labelsFile(exported.labels) };
    const bytes = emitModel(specs[0]!, labels);
    const cpuBytes = emitModel(specs[1]!, labels);
    const outcomes: Top1Outcome[] = [];
    const cpuOutcomes: Top1Outcome[] = [];
    for (const image of check) {
      const pixels = rgbBytes(squareCrop(image, exported.imageSize));
      const values = teachableValues(pixels);
      const floatTop = tf.tidy(() => {
        const t = tf.tensor4d(values, [1, exported.imageSize, exported.imageSize, 3]);
        return (model.predict(t) as tf.Tensor).argMax(-1).dataSync()[0]!;
      });
      outcomes.push(compareTop1(floatTop, await runQuantized(bytes, pixels)));
      cpuOutcomes.push(compareTop1(floatTop, await runQuantized(cpuBytes, values)));
    }
    return {
      labels: [...exported.labels],
      model: bytes,
      compatibility: checkEdgeTpuCompatibility(readModel(bytes)),
      cpuModel: cpuBytes,
      report,
      agreement: tallyTop1(outcomes),
      cpuAgreement: tallyTop1(cpuOutcomes),
    };
  } finally {
    model.dispose();
  }
}
