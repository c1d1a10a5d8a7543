import { writeFile } from 'node:fs/promises';
import { parseOptions } from '../options.ts';
import { ReefError } from '../../lib/errors.ts';
import { initTf, trainTransfer } from '../../lib/learn/index.ts';
import { hasEdgeTpuOps, WasmEngine } from '../../lib/runtime/index.ts';
import { readModel, type Model } from '../../lib/tflite/index.ts';
import type { Command } from '../command.ts';
import { readClassFolders } from '../learn-data.ts';
import { nodeLiteRtLoader } from '../litert-node.ts';
import { readInputFile } from '../input-files.ts';
import { cpuOutPath } from '../cpu-out-path.ts';
import { cpuTwinFile } from '../run/cpu-twin-file.ts';
import { createEngineForDevice } from '../run/engine-for-device.ts';

const USAGE = `Usage: reef train --extractor <model.tflite> --data <dir> --out <model.tflite>
                  [--method backprop|imprint] [--epochs N] [--hidden N] [--augment N]
                  [--validation F] [--embed-with <cpu twin.tflite>] [--cpu-out <model.tflite>]
                  [--device cpu|usb|usb:N] [--json]

Trains a classification head on embeddings from an extractor model (e.g. Coral's
mobilenet_v1_1.0_224_quant_embedding_extractor[_edgetpu].tflite) and writes ONE model: the
extractor followed by the quantized head (FULLY_CONNECTED + SOFTMAX), labels embedded. On a
compiled extractor the Edge TPU runs the extractor and the CPU the head; the result runs with
\`reef run\`.

  --data        one sub-folder per class, BMP/PNG/JPEG images inside (folder name = label)
  --method      backprop (default: softmax head, Adam, early stopping) or imprint (no training)
  --epochs      backprop epochs (default 30)
  --hidden      units of an optional hidden ReLU layer (default 0 = none)
  --augment     extra augmented copies (crop, flip, brightness) per training image (default 0)
  --validation  fraction of each class held out for validation (default 0.2)
  --embed-with  CPU twin that computes the embeddings when the extractor is compiled for the Edge
                TPU (default: the same path without "_edgetpu")
  --cpu-out     where the head composed onto the CPU twin goes when the extractor is compiled (runs
                anywhere in WASM; default: --out without "_edgetpu", else with "_cpu" added)
  --device      where embeddings are computed: cpu (default: the CPU twin in WASM) or usb / usb:N
                (the compiled extractor on a Coral; needs a compiled --extractor)
  --json        print {"classes":[…],"train":{"accuracy"},"validation":{"accuracy"},"ms"}
`;

function positiveNumber(value: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new ReefError('INVALID_ARGUMENT', `--${name} must be a non-negative ${integer ? 'integer' : 'number'}`, {
      reason: `bad-${name}`,
    });
  return n;
}

/** Ops that turn scores into class probabilities: a model ending in one is a classifier. */
const PROBABILITY_OPS = new Set(['SOFTMAX', 'LOGISTIC']);

function endsInProbabilities(model: Model): boolean {
  const graph = model.subgraphs[0];
  if (!graph) return false;
  return graph.operators.some(
    (op) =>
      op.outputs.some((t) => graph.outputs.includes(t)) &&
      PROBABILITY_OPS.has(model.operatorCodes[op.opcodeIndex]?.builtinName ?? ''),
  );
}

/**
 * A head trained on class probabilities learns little and is not what Coral's extractors give
 * (their output is the layer before the classifier): refuse a full classifier as `--extractor`.
 */
function refuseClassifier(file: string, extractor: Model, embedder: Model): void {
  if (!endsInProbabilities(extractor) && !endsInProbabilities(embedder) && !extractor.labels) return;
  const shape = embedder.subgraphs[0]?.tensors[embedder.subgraphs[0]?.outputs[0] ?? -1]?.shape ?? [];
  throw new ReefError(
    'INVALID_ARGUMENT',
    `${file} is a full classifier (its output [${shape.join(',')}] is class scores, not an embedding); ` +
      'use an embedding extractor such as mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
    { reason: 'not-an-extractor' },
  );
}

export const command: Command = {
  name: 'train',
  summary: 'train a classifier head on an extractor and write extractor + head as one .tflite',
  usage: USAGE,
  async run(args, io, deps) {
    const { values, positionals } = parseOptions({
      args,
      allowPositionals: true,
      options: {
        extractor: { type: 'string' },
        data: { type: 'string' },
        out: { type: 'string' },
        method: { type: 'string', default: 'backprop' },
        epochs: { type: 'string' },
        hidden: { type: 'string' },
        augment: { type: 'string' },
        validation: { type: 'string' },
        'embed-with': { type: 'string' },
        'cpu-out': { type: 'string' },
        device: { type: 'string', default: 'cpu' },
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (!values.extractor || !values.data || !values.out || positionals.length) {
      io.err(USAGE);
      return 2;
    }
    const method = values.method;
    if (method !== 'backprop' && method !== 'imprint')
      throw new ReefError('INVALID_ARGUMENT', '--method must be backprop or imprint', { reason: 'bad-method' });
    const epochs = positiveNumber(values.epochs, 'epochs', 30, true);
    const hidden = positiveNumber(values.hidden, 'hidden', 0, true);
    const augment = positiveNumber(values.augment, 'augment', 0, true);
    const validation = positiveNumber(values.validation, 'validation', 0.2, false);
    const seed = positiveNumber(values.seed, 'seed', 1, true);
    if (validation >= 1)
      throw new ReefError('INVALID_ARGUMENT', '--validation must be below 1', { reason: 'bad-validation' });

    const extractorBytes = await readInputFile(values.extractor);
    const extractorModel = readModel(extractorBytes);
    const twin = await cpuTwinFile(values.extractor, extractorBytes, values['embed-with']);
    if (!twin && hasEdgeTpuOps(extractorModel))
      throw new ReefError(
        'FAILED_PRECONDITION',
        `${values.extractor} is compiled for the Edge TPU; give its CPU twin with --embed-with to compute embeddings`,
        { reason: 'needs-cpu-twin' },
      );
    const embedBytes = twin?.bytes ?? extractorBytes;
    refuseClassifier(values.extractor, extractorModel, readModel(embedBytes));
    const onTpu = values.device !== 'cpu' && values.device !== 'wasm';
    if (onTpu && !/^usb(:\d+)?$/.test(values.device))
      throw new ReefError('INVALID_ARGUMENT', `--device must be cpu, usb or usb:N (got '${values.device}')`, {
        reason: 'bad-device',
      });
    if (onTpu && !hasEdgeTpuOps(extractorModel))
      throw new ReefError(
        'FAILED_PRECONDITION',
        `--device ${values.device} embeds with a compiled extractor; ${values.extractor} is not compiled for the Edge TPU`,
        { reason: 'extractor-not-compiled' },
      );
    const compiledWithTwin = twin !== undefined && hasEdgeTpuOps(extractorModel);
    const cpuOut = compiledWithTwin ? (values['cpu-out'] ?? cpuOutPath(values.out)) : undefined;
    const data = await readClassFolders(values.data);
    await initTf({ backends: ['cpu'] });
    const engine = onTpu
      ? await createEngineForDevice(values.device, { log: io.err, ...(deps ? { openUsb: deps.usb } : {}) })
      : new WasmEngine(nodeLiteRtLoader);
    // On a Coral the compiled extractor itself runs (its CPU ops, if any, in WASM); else the twin.
    const extractor = onTpu
      ? await engine.load(extractorBytes, { cpuTwin: embedBytes })
      : await engine.load(embedBytes);
    if (!values.json) io.err(`embedding on ${extractor.engine} (${extractor.device})`);
    try {
      const result = await trainTransfer(extractorBytes, extractor, data, {
        ...(compiledWithTwin ? { cpuTwin: embedBytes } : {}),
        method,
        epochs,
        hiddenUnits: hidden,
        augmentCopies: augment,
        validationSplit: validation,
        seed,
        onEvent: (event) => {
          if (values.json) return;
          if (event.kind === 'epoch') {
            const p = event.progress;
            const val = p.valAccuracy === undefined ? '' : `, validation ${(p.valAccuracy * 100).toFixed(1)}%`;
            io.err(
              `epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}, accuracy ${(p.accuracy * 100).toFixed(1)}%${val}`,
            );
          }
        },
      });
      await writeFile(values.out, result.model);
      if (cpuOut && result.cpuModel) await writeFile(cpuOut, result.cpuModel);
      const summary = {
        classes: result.classes,
        train: { accuracy: result.train.accuracy },
        validation: { accuracy: result.validation.accuracy },
        ms: Math.round(result.ms),
      };
      if (values.json) io.out(JSON.stringify(summary));
      else
        io.out(
          [
            `${values.out}: ${result.model.length} bytes, ${result.classes.length} classes (${result.classes.join(', ')})`,
            ...(cpuOut && result.cpuModel
              ? [`${cpuOut}: ${result.cpuModel.length} bytes (CPU model, runs in WASM)`]
              : []),
            `embedded on ${extractor.engine} (${extractor.device})`,
            `train accuracy ${(result.train.accuracy * 100).toFixed(1)}%` +
              (result.validation.accuracy === null
                ? ''
                : `, validation accuracy ${(result.validation.accuracy * 100).toFixed(1)}%`),
            `${method}, ${data.images.length} images, ${Math.round(result.ms)} ms`,
          ].join('\n'),
        );
      return 0;
    } finally {
      extractor.dispose();
      engine.dispose();
    }
  },
};
