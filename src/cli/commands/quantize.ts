import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseOptions } from '../options.ts';
import { ReefError } from '../../lib/errors.ts';
import { centerCrop, initTf, loadTfjsModel, quantizeToTflite, tf, type Calibration } from '../../lib/learn/index.ts';
import type { Command } from '../command.ts';
import { readAllImages } from '../learn-data.ts';
import { readInputFile, readInputText } from '../input-files.ts';
import { isTeachableExport, quantizeTeachableExport } from '../teachable-quantize.ts';
import { cpuOutPath } from '../cpu-out-path.ts';
import { edgeTpuCheckLine } from '../edgetpu-check-line.ts';

const USAGE = `Usage: reef quantize <model.json> --data <dir> --out <model.tflite>
                     [--io uint8|int8] [--calibration minmax|percentile:P] [--input-range MIN,MAX] [--json]
       reef quantize <teachable-machine.zip | export folder> --data <dir> --out <model.tflite>
                     [--cpu-out <model.tflite>] [--check <dir>] [--json]

Full-integer post-training quantization of a tfjs layers model (model.json + weights) to a TFLite
model the Edge TPU compiler accepts: int8 weights (per channel for convolutions), int32 biases,
int8 activations calibrated on the images in --data, uint8 or int8 input/output.

Supported layers: Conv2D, DepthwiseConv2D, Dense, BatchNormalization (folded), ReLU/ReLU6,
Max/AveragePooling2D, GlobalAveragePooling2D, Add, Concatenate, Reshape/Flatten, Softmax, Dropout.

  --data         representative images (BMP/PNG/JPEG, sub-folders included), center-cropped to
                 the model's input size
  --io           element type of the model's input and output (default uint8)
  --calibration  minmax (default) or percentile:P (e.g. percentile:99.99) for activation ranges
  --input-range  real values the model expects for pixel 0 and 255 (default 0,1)
  --json         print {"edgetpuCompatible":bool,"unsupported":[…],"ms"}

A Teachable Machine image export (its ZIP, or the folder with model.json, weights.bin and
metadata.json) is quantized with TM's own preprocessing (center crop, x / 127 - 1) and its labels
embedded, and written twice: --out is the Edge TPU model (uint8 input = pixel bytes, uint8 output),
--cpu-out the CPU model (same int8 graph with float input x/127-1 and float probabilities; default:
--out with "_cpu" added). Each one's top-1 agreement with the float model is printed: on --check
images when given, else on the --data images.
`;

function parseCalibration(value: string): Calibration {
  if (value === 'minmax') return 'minmax';
  const match = /^percentile:(\d+(\.\d+)?)$/.exec(value);
  const p = match ? Number(match[1]) : NaN;
  if (!(p > 50 && p <= 100))
    throw new ReefError('INVALID_ARGUMENT', '--calibration must be minmax or percentile:P with 50 < P ≤ 100', {
      reason: 'bad-calibration',
    });
  return { percentile: p };
}

function parseRange(value: string): { min: number; max: number } {
  const [min, max] = value.split(',').map(Number);
  if (min === undefined || max === undefined || !Number.isFinite(min) || !Number.isFinite(max) || max <= min)
    throw new ReefError('INVALID_ARGUMENT', '--input-range must be MIN,MAX with MIN < MAX', {
      reason: 'bad-input-range',
    });
  return { min, max };
}

/**
 * Quantizing starts from the float tfjs model; a `.tflite` given by mistake would otherwise fail
 * as "not valid JSON", which does not say what to give instead.
 */
async function refuseTflite(file: string): Promise<void> {
  const head = (await readInputFile(file)).subarray(4, 8);
  if (!file.toLowerCase().endsWith('.tflite') && new TextDecoder().decode(head) !== 'TFL3') return;
  throw new ReefError(
    'INVALID_ARGUMENT',
    `${file} is a TFLite model; reef quantize expects a tfjs layers model.json (with its weight files), ` +
      "as tfjs's model.save('file://dir') or tensorflowjs_converter write it",
    { reason: 'not-a-tfjs-model' },
  );
}

export const command: Command = {
  name: 'quantize',
  summary: 'full-int8 post-training quantization of a tfjs model.json to an Edge-TPU-ready .tflite',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions({
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        io: { type: 'string', default: 'uint8' },
        calibration: { type: 'string', default: 'minmax' },
        'input-range': { type: 'string', default: '0,1' },
        check: { type: 'string' },
        'cpu-out': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const [modelFile] = positionals;
    if (modelFile && values.data && values.out && positionals.length === 1 && (await isTeachableExport(modelFile))) {
      await initTf({ backends: ['cpu'] });
      return quantizeTeachableExport(
        modelFile,
        {
          data: values.data,
          out: values.out,
          cpuOut: values['cpu-out'] ?? cpuOutPath(values.out),
          json: values.json,
          ...(values.check ? { check: values.check } : {}),
        },
        io,
      );
    }
    if (modelFile) await refuseTflite(modelFile);
    if (!modelFile || positionals.length !== 1 || !values.data || !values.out) {
      io.err(USAGE);
      return 2;
    }
    if (values.io !== 'uint8' && values.io !== 'int8')
      throw new ReefError('INVALID_ARGUMENT', '--io must be uint8 or int8', { reason: 'bad-io' });
    const calibration = parseCalibration(values.calibration);
    const range = parseRange(values['input-range']);
    await initTf({ backends: ['cpu'] });
    const model = await loadTfjsModel(await readInputText(modelFile), async (path) => {
      const file = join(dirname(modelFile), path);
      try {
        return new Uint8Array(await readFile(file));
      } catch {
        throw new ReefError('NOT_FOUND', `model.json names weights file ${path}, which cannot be read`, {
          reason: 'weights-missing',
        });
      }
    });
    try {
      const shape = model.inputs[0]?.shape ?? [];
      const [, height, width, channels] = shape;
      if (shape.length !== 4 || !height || !width || channels !== 3)
        throw new ReefError(
          'INVALID_ARGUMENT',
          `the model input is [${shape.join(',')}]; an H×W×3 image input is needed`,
          {
            reason: 'not-an-image-model',
          },
        );
      const images = await readAllImages(values.data);
      const x = tf.tidy(() => {
        const data = new Float32Array(images.length * height * width * 3);
        images.forEach((image, i) => {
          const px = centerCrop(image, width, height).data;
          for (let p = 0, o = i * height * width * 3; p < px.length; p += 4, o += 3)
            for (let c = 0; c < 3; c++) data[o + c] = range.min + (px[p + c]! / 255) * (range.max - range.min);
        });
        return tf.tensor4d(data, [images.length, height, width, 3]);
      });
      const result = (() => {
        try {
          return quantizeToTflite(model, x, { io: values.io, calibration, inputRange: range });
        } finally {
          x.dispose();
        }
      })();
      await writeFile(values.out, result.model);
      const summary = {
        edgetpuCompatible: result.compatibility.compatible,
        unsupported: result.compatibility.unsupported,
        ms: Math.round(result.ms),
      };
      if (values.json) io.out(JSON.stringify(summary));
      else
        io.out(
          [
            `${values.out}: ${result.model.length} bytes, ${Object.entries(result.report.ops)
              .map(([op, n]) => `${op}×${n}`)
              .join(', ')}`,
            `calibrated on ${images.length} images; folded: ${result.report.folded.join(', ') || 'nothing'}`,
            edgeTpuCheckLine(summary),
          ].join('\n'),
        );
      return 0;
    } finally {
      model.dispose();
    }
  },
};
