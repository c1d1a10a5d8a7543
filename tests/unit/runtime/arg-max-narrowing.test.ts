/**
 * DeepLab's INT64 ARG_MAX runs inside LiteRT as INT32 and is widened back: the class map must be
 * exactly what Reef's own ARG_MAX kernel computes from LiteRT's scores, in the INT64 the file declares.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { narrowArgMaxOutputs, widenToInt64 } from '../../../src/lib/runtime/arg-max-narrowing.ts';
import { argMax, partitionModel } from '../../../src/lib/runtime/index.ts';
import { classCounts, classGrid, imageToTensor, maskForImage } from '../../../src/lib/tasks/index.ts';
import { readModel, sliceModel, writeModel } from '../../../src/lib/tflite/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage } from './support.ts';

const engine = cpuEngine();
afterAll(() => engine.dispose());

describe('INT64 ARG_MAX narrowed to INT32 for LiteRT', () => {
  it('DeepLab: one LiteRT graph, INT64 class map equal to the Reef kernel on the same scores', async () => {
    const bytes = await readFixture('deeplabv3_mnv2_dm05_pascal_quant.tflite');
    const model = await engine.load(bytes);
    expect(model.engine).toBe('litert-wasm');
    expect(model.outputs[0]).toMatchObject({ dtype: 'int64', shape: [1, 513, 513] });

    // Before: LiteRT up to the scores, then Reef's ARG_MAX kernel (what ran before the rewrite).
    const original = readModel(bytes);
    const litert = partitionModel(original).segments[0]!;
    expect(litert.outputs).toHaveLength(1);
    const scoresModel = await engine.load(
      writeModel(sliceModel(original, litert.ops[0]!, litert.ops.at(-1)!, litert.inputs, litert.outputs)),
    );

    const image = await fixtureImage('bird_segmentation.bmp');
    const prepared = imageToTensor(image, model.inputs[0]!);
    const result = await model.run([prepared.data]);
    const scores = (await scoresModel.run([prepared.data])).outputs[0]!;
    const before = argMax(scores.data as Uint8Array, scores.shape, -1, 'int64') as BigInt64Array;
    const after = result.outputs[0]!;
    expect(after.dtype).toBe('int64');
    expect(after.data).toBeInstanceOf(BigInt64Array);
    expect(after.data.length).toBe(513 * 513);
    expect(after.data).toEqual(before);

    // The mask the user sees: the bird (PASCAL class 3) is there, every pixel has a class.
    const mask = maskForImage(classGrid(after), prepared.region, image.width, image.height);
    const counts = classCounts(mask);
    expect(counts.find((c) => c.id === 3)!.pixels).toBeGreaterThan(20_000);
    expect(counts.reduce((n, c) => n + c.pixels, 0)).toBe(513 * 513);
    model.dispose();
    scoresModel.dispose();
  });

  it('narrows only an ARG_MAX output that is a model output; other models are left alone', async () => {
    const deeplab = readModel(await readFixture('deeplabv3_mnv2_dm05_pascal_quant.tflite'));
    const narrowed = narrowArgMaxOutputs(deeplab)!;
    expect(narrowed.outputPositions).toEqual([0]);
    const out = narrowed.model.subgraphs[0]!.outputs[0]!;
    expect(narrowed.model.subgraphs[0]!.tensors[out]!.dtype).toBe('int32');
    expect(deeplab.subgraphs[0]!.tensors[out]!.dtype).toBe('int64');
    const argMaxOp = narrowed.model.subgraphs[0]!.operators.find((op) => op.outputs[0] === out)!;
    expect(argMaxOp.builtinOptions).toEqual({ kind: 'ArgMaxOptions', outputType: 'int32' });

    // The same ARG_MAX whose result another op reads (here: made an input of op 0) keeps INT64.
    const s = deeplab.subgraphs[0]!;
    const consumed = {
      ...deeplab,
      subgraphs: [
        { ...s, operators: s.operators.map((op, i) => (i === 0 ? { ...op, inputs: [...op.inputs, out] } : op)) },
      ],
    };
    expect(narrowArgMaxOutputs(consumed)).toBeNull();
    expect(narrowArgMaxOutputs(readModel(await readFixture('mobilenet_v1_0.25_128_quant.tflite')))).toBeNull();
  });

  it('widens INT32 to INT64 exactly, sign included', () => {
    const wide = widenToInt64(new Int32Array([0, 20, 2 ** 31 - 1, -1, -(2 ** 31)]));
    expect(Array.from(wide)).toEqual([0n, 20n, 2n ** 31n - 1n, -1n, -(2n ** 31n)]);
  });
});
