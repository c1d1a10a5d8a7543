/**
 * LiteRT refusing a model is an error, never a result: prepare / allocate / invoke failures are
 * reported by LiteRT only in its log, and Reef must turn them into one-line typed errors, hand no
 * output to anyone, and run the next model correctly in the same engine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  allocateTensorArray,
  elementCount,
  LiteRtRuntime,
  PartitionedEngine,
  type LiteRtLoader,
} from '../../../src/lib/runtime/index.ts';
import { readModel, writeModel } from '../../../src/lib/tflite/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { argMaxThenBadSoftmax, softmaxModel } from './hostile-models.ts';

/** The Node loader, also keeping every ERROR line LiteRT logs (what the runtime must not ignore). */
function recordingLoader(): LiteRtLoader & { errorLines: string[] } {
  const loader = {
    errorLines: [] as string[],
    load: (hooks: Parameters<LiteRtLoader['load']>[0] = {}) =>
      nodeLiteRtLoader.load({
        log: (text) => {
          if (/^(ERROR|FATAL)/.test(text)) loader.errorLines.push(text);
          hooks.log?.(text);
        },
      }),
  };
  return loader;
}

const loader = recordingLoader();
const engine = new PartitionedEngine({ runtime: new LiteRtRuntime(loader) });
afterAll(() => engine.dispose());

const STRIP = new Int8Array([10, 20, 30, 0, 0, 0, -5, 5, 0, 1, 2, 3]);

/** Float softmax over the last axis (3 channels) of STRIP, quantized as TFLite's int8 SOFTMAX does. */
function expectedSoftmax(): number[] {
  const out: number[] = [];
  for (let p = 0; p < 4; p++) {
    const x = [...STRIP.subarray(p * 3, p * 3 + 3)].map((v) => v * 0.1);
    const e = x.map((v) => Math.exp(v - Math.max(...x)));
    const sum = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => Math.min(127, Math.round((v / sum) * 256) - 128)));
  }
  return out;
}

async function failure(promise: Promise<unknown>): Promise<ReefError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReefError);
  return error as ReefError;
}

describe('LiteRT failures are typed errors', () => {
  it('int8 SOFTMAX with output zero point 0: one-line error naming SOFTMAX and the cause; no outputs', async () => {
    const model = await engine.load(softmaxModel(0));
    const error = await failure(model.run([STRIP]));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'litert-prepare-failed' });
    expect(error.message).toBe(
      'LiteRT could not prepare op 0 (SOFTMAX): output->params.zero_point != -128 (0 != -128)',
    );
    expect(error.message).not.toContain('\n');
    expect(loader.errorLines.some((l) => l.includes('SOFTMAX'))).toBe(true);
  });

  it('the next model loads and runs correctly in the same engine', async () => {
    const bad = await engine.load(softmaxModel(5));
    await failure(bad.run([STRIP]));
    const good = await engine.load(softmaxModel(-128));
    const result = await good.run([STRIP]);
    expect([...result.outputs[0]!.data].map(Number)).toEqual(expectedSoftmax());
    // A real model after the failure too: cat.bmp is still a tiger cat.
    const mobilenet = await engine.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
    expect(mobilenet.outputs[0]!.shape).toEqual([1, 1001]);
  });

  it('a LiteRT segment cut out of a larger model names the op index of the model the user loaded', async () => {
    // ARG_MAX stays a Reef kernel (not narrowed into LiteRT), so the SOFTMAX is a cut-out segment.
    const cutting = new PartitionedEngine({ runtime: new LiteRtRuntime(loader), argMaxInLiteRt: false });
    const model = await cutting.load(argMaxThenBadSoftmax());
    expect(model.engine).toBe('litert-wasm+reef');
    const error = await failure(model.run([STRIP]));
    expect(error.message).toMatch(/^LiteRT could not prepare op 1 \(SOFTMAX\): .*\(3 != -128\)$/);
    cutting.dispose();
  });

  it('mutated quantization of real CPU models: every run LiteRT logged an error for ends in a typed error', async () => {
    let typedFromLog = 0;
    let results = 0;
    const softmaxErrors: string[] = [];
    for (const name of ['mobilenet_v1_0.25_128_quant.tflite', 'keras_lstm_mnist_ptq.tflite'] as const) {
      const bytes = await readFixture(name);
      const original = readModel(bytes);
      const subgraph = original.subgraphs[0]!;
      const softmaxOut = subgraph.operators.find(
        (o) => original.operatorCodes[o.opcodeIndex]!.builtinName === 'SOFTMAX',
      )!.outputs[0]!;
      // Every quantized activation, among them the SOFTMAX output, whose quantization LiteRT checks.
      const targets = subgraph.tensors
        .map((t, i) => ({ t, i }))
        .filter(({ t }) => t.quantization && original.buffers[t.buffer]!.data.length === 0)
        .map(({ i }) => i);
      expect(targets).toContain(softmaxOut);
      const mutations: ((q: { scale: number[]; zeroPoint: number[] }) => void)[] = [
        (q) => (q.zeroPoint = q.zeroPoint.map((z) => z + 77)),
        (q) => (q.scale = q.scale.map((s) => s * 1e6)),
      ];
      for (const index of targets) {
        for (const mutate of mutations) {
          const model = readModel(bytes);
          mutate(model.subgraphs[0]!.tensors[index]!.quantization!);
          loader.errorLines.length = 0;
          let outcome: 'result' | ReefError;
          try {
            const loaded = await engine.load(writeModel(model));
            const info = loaded.inputs[0]!;
            const input = allocateTensorArray(info.dtype, elementCount(info.shape));
            for (let i = 0; i < input.length; i++) input[i] = (i * 7) % 100;
            const run = await loaded.run([input]);
            expect(run.outputs[0]!.data.length).toBe(elementCount(loaded.outputs[0]!.shape));
            loaded.dispose();
            outcome = 'result';
          } catch (error) {
            // Anything but a typed error (a TypeError, a RangeError) fails the test here.
            expect(error).toBeInstanceOf(ReefError);
            outcome = error as ReefError;
            if (index === softmaxOut) softmaxErrors.push(outcome.message);
          }
          if (loader.errorLines.length > 0) {
            expect(outcome, `${name} tensor ${index}: LiteRT logged ${loader.errorLines[0]}`).toBeInstanceOf(ReefError);
            typedFromLog++;
          } else if (outcome === 'result') results++;
        }
      }
    }
    // 31 of these 84 mutations make LiteRT log a failure (zero points, scales, huge multipliers).
    expect(typedFromLog).toBeGreaterThanOrEqual(10);
    expect(results).toBeGreaterThan(0);
    // The int8 SOFTMAX output's zero point (−128 + 77) is one LiteRT refuses to prepare.
    expect(softmaxErrors.some((m) => /^LiteRT could not prepare op \d+ \(SOFTMAX\): /.test(m))).toBe(true);
  }, 120_000);
});
