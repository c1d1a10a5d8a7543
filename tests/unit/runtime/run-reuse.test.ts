/**
 * The hot path keeps state across runs (each graph's LiteRT input buffers are made once and
 * overwritten, output types are read once). What that must never cost: a run seeing another
 * run's input, two runs in flight sharing a buffer, or one result's array aliasing the next.
 * Every output is checked against a separate engine that ran the same input once, on a fresh load.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { LiteRtRuntime, type LoadedModel, type TensorArray } from '../../../src/lib/runtime/index.ts';
import { classify, imageToTensor } from '../../../src/lib/tasks/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';
import { cpuEngine, fixtureImage, fixtureLabels } from './support.ts';

const MODEL: FixtureName = 'mobilenet_v1_0.25_128_quant.tflite';
const IMAGES: FixtureName[] = ['cat.bmp', 'grace_hopper.bmp', 'bird.bmp'];

const engine = cpuEngine();
const reference = cpuEngine();
afterAll(() => {
  engine.dispose();
  reference.dispose();
});

async function inputsFor(model: LoadedModel): Promise<TensorArray[]> {
  return Promise.all(IMAGES.map(async (name) => imageToTensor(await fixtureImage(name), model.inputs[0]!).data));
}

/** What a fresh load of the model answers for `input` on its first and only run. */
async function firstRunOutput(input: TensorArray): Promise<number[]> {
  const fresh = await reference.load(await readFixture(MODEL));
  try {
    return [...(await fresh.run([input])).outputs[0]!.data].map(Number);
  } finally {
    fresh.dispose();
  }
}

describe('reused LiteRT buffers', () => {
  it('consecutive runs on different images each answer for their own image (A, B, C, A)', async () => {
    const model = await engine.load(await readFixture(MODEL));
    const inputs = await inputsFor(model);
    const expected = await Promise.all(inputs.map(firstRunOutput));
    // The three images must tell apart, or this test could not see one run answering for another.
    expect(expected[0]).not.toEqual(expected[1]);
    expect(expected[1]).not.toEqual(expected[2]);
    const order = [0, 1, 2, 0, 2, 1];
    for (const k of order) {
      const result = await model.run([inputs[k]!]);
      expect([...result.outputs[0]!.data].map(Number), `run on ${IMAGES[k]}`).toEqual(expected[k]);
    }
    const labels = await fixtureLabels('imagenet_labels.txt');
    const cat = await model.run([inputs[0]!]);
    expect(classify(cat.outputs[0]!, { topK: 1, labels })[0]!.label).toBe('tiger cat');
    model.dispose();
  });

  it('runs started together on one model each answer for their own input', async () => {
    const model = await engine.load(await readFixture(MODEL));
    const inputs = await inputsFor(model);
    const expected = await Promise.all(inputs.map(firstRunOutput));
    const results = await Promise.all([...inputs, ...inputs].map((input) => model.run([input])));
    results.forEach((result, i) => {
      expect([...result.outputs[0]!.data].map(Number), `run ${i}`).toEqual(expected[i % inputs.length]);
    });
    model.dispose();
  });

  it("a result's arrays are its own: the next run neither reuses nor changes them", async () => {
    const model = await engine.load(await readFixture(MODEL));
    const [a, b] = await inputsFor(model);
    const first = await model.run([a!]);
    const kept = [...first.outputs[0]!.data];
    const shape = [...first.outputs[0]!.shape];
    const second = await model.run([b!]);
    expect(second.outputs[0]!.data.buffer).not.toBe(first.outputs[0]!.data.buffer);
    expect(second.outputs[0]!.shape).not.toBe(first.outputs[0]!.shape);
    expect([...first.outputs[0]!.data]).toEqual(kept);
    // The caller may transfer or overwrite a result: the next run still answers correctly.
    new Uint8Array(first.outputs[0]!.data.buffer).fill(0);
    first.outputs[0]!.shape.length = 0;
    const third = await model.run([a!]);
    expect([...third.outputs[0]!.data]).toEqual(kept);
    expect(third.outputs[0]!.shape).toEqual(shape);
    model.dispose();
  });

  it('inputs refused by a graph leave its buffers intact for the next run', async () => {
    const runtime = new LiteRtRuntime(nodeLiteRtLoader);
    const graph = await runtime.compile(await readFixture(MODEL));
    const model = await engine.load(await readFixture(MODEL));
    const [a] = await inputsFor(model);
    model.dispose();
    const good = await graph.run([a!]);
    const wrongType = graph.run([new Int8Array(a!.length)]);
    await expect(wrongType).rejects.toBeInstanceOf(ReefError);
    await expect(wrongType).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'input-type' });
    const wrongSize = graph.run([new Uint8Array(a!.length - 1)]);
    await expect(wrongSize).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'input-size' });
    const again = await graph.run([a!]);
    expect([...again[0]!.data]).toEqual([...good[0]!.data]);
    expect(again[0]).toMatchObject({ dtype: 'uint8', shape: [1, 1001] });
    graph.delete();
  });
});
