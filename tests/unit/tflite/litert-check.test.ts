/**
 * Written models are valid for a real TFLite runtime, not only for Reef's own reader: they load in
 * LiteRT (Reef's WASM engine) and compute the same numbers as the originals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { WasmEngine, type TensorArray } from '../../../src/lib/runtime/index.ts';
import { extractSubgraph, ModelBuilder, readModel, writeModel } from '../../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

const engine = new WasmEngine(nodeLiteRtLoader);
const loaded: { dispose(): void }[] = [];
afterAll(() => loaded.forEach((m) => m.dispose()));

async function run(bytes: Uint8Array, inputs: TensorArray[]): Promise<number[][]> {
  const model = await engine.load(bytes);
  loaded.push(model);
  const result = await model.run(inputs);
  return result.outputs.map((o) => Array.from(o.data as ArrayLike<number>, Number));
}

function pattern(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 31 + seed * 17 + (i >> 7) * 5) & 0xff);
}

describe('LiteRT runs Reef-written models', () => {
  const cases: [FixtureName, number[]][] = [
    ['mobilenet_v1_0.25_128_quant.tflite', [128 * 128 * 3]],
    ['split_concat.tflite', [8 * 8 * 3, 8 * 8, 8 * 8 * 2]],
    ['keras_lstm_mnist_ptq.tflite', [28 * 28]],
  ];
  for (const [name, sizes] of cases) {
    it(`${name}: read → write gives identical outputs`, async () => {
      const bytes = await readFixture(name);
      const inputs = sizes.map((n, i) => pattern(n, i));
      const expected = await run(bytes, inputs);
      expect(expected.flat().some((v) => v !== 0)).toBe(true);
      expect(await run(writeModel(readModel(bytes)), inputs)).toEqual(expected);
    });
  }

  it('an extracted slice computes what the full model computes at that point', async () => {
    // split_concat: CONCATENATION → SPLIT → CONCATENATION; the first op alone is a concat of the inputs.
    const model = readModel(await readFixture('split_concat.tflite'));
    const first = extractSubgraph(model, { fromOp: 0, toOp: 0 });
    const inputs = first.subgraphs[0]!.inputs.map((t, i) =>
      pattern(
        first.subgraphs[0]!.tensors[t]!.shape.reduce((a, b) => a * b, 1),
        i,
      ),
    );
    const [out] = await run(writeModel(first), inputs);
    const shapes = first.subgraphs[0]!.inputs.map((t) => first.subgraphs[0]!.tensors[t]!.shape[3]!);
    // Concatenation along channels: pixel p of the output is input0[p], input1[p], ... channels.
    const channels = shapes.reduce((a, b) => a + b, 0);
    const expected: number[] = [];
    for (let p = 0; p < 64; p++)
      inputs.forEach((input, i) => expected.push(...input.subarray(p * shapes[i]!, (p + 1) * shapes[i]!)));
    expect(out).toHaveLength(64 * channels);
    expect(out).toEqual(expected);
  });

  it('a FULLY_CONNECTED int8 model built from scratch gives the hand-computed result', async () => {
    const b = new ModelBuilder({ description: 'fc' });
    const x = b.addTensor({ name: 'x', dtype: 'int8', shape: [1, 4], quantization: { scale: [0.5], zeroPoint: [0] } });
    const w = b.addTensor({
      name: 'w',
      dtype: 'int8',
      shape: [2, 4],
      quantization: { scale: [0.25], zeroPoint: [0] },
      data: new Int8Array([4, 0, 0, 0, 0, 4, 4, 0]),
    });
    const bias = b.addTensor({
      name: 'bias',
      dtype: 'int32',
      shape: [2],
      quantization: { scale: [0.125], zeroPoint: [0] },
      data: new Int32Array([8, -8]),
    });
    const y = b.addTensor({ name: 'y', dtype: 'int8', shape: [1, 2], quantization: { scale: [1], zeroPoint: [0] } });
    const out = b.addTensor({ name: 'out', dtype: 'float32', shape: [1, 2] });
    b.addOp({ op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [y] });
    b.addOp({ op: 'DEQUANTIZE', inputs: [y], outputs: [out] });
    b.setInputs([x]);
    b.setOutputs([out]);
    // x = [1,2,3,4]; rows [1,0,0,0] and [0,1,1,0]; bias [1,-1] → [2, 4].
    const [result] = await run(b.toBytes(), [new Int8Array([2, 4, 6, 8])]);
    expect(result).toEqual([2, 4]);
  });
});
