/**
 * The virtual Coral's own device model, checked against facts from outside the driver: the tiled
 * layout worked example in libedgetpu's executable.fbs, the signed transform of protocol §5.5, and
 * the hint shapes protocol §5.7 / §4.9 record for the google-coral/test_data models.
 */
import { describe, expect, it } from 'vitest';
import { scatterOutput, unpackInput } from '../../../emulator/device-layout.ts';
import { readEmulatedModel, type ModelLayer } from '../../../emulator/executable-model.ts';
import { readFixture } from '../../../support/fixtures.ts';

/** executable.fbs: 2×2 tiles producing a 4×5×32 output; tiles 0/2 hold 3 columns, tiles 1/3 hold 2. */
function workedExample(overrides: Partial<ModelLayer> = {}): ModelLayer {
  return {
    name: 'out',
    sizeBytes: 640,
    yDim: 4,
    xDim: 5,
    zDim: 32,
    dataType: 'uint8',
    elementBytes: 1,
    signed: false,
    zeroPoint: 0,
    executionCount: 1,
    hasShapeInfo: false,
    layout: {
      yTileId: Int32Array.of(0, 0, 2, 2),
      xTileId: Int32Array.of(0, 0, 0, 1, 1),
      tileByteOffset: Int32Array.of(0, 192, 320, 512),
      xLocalByteOffset: Int32Array.of(0, 32, 64, 0, 32),
      yLocalOffset: Int32Array.of(0, 1, 0, 1),
      xLocalRowSize: Int32Array.of(96, 96, 96, 64, 64),
    },
    ...overrides,
  };
}

describe('virtual Coral device layout', () => {
  it('scatters the executable.fbs worked example where its tables say each element goes', () => {
    const layer = workedExample();
    // Element (y, x) carries the value y*5+x in all its 32 z bytes.
    const user = new Uint8Array(4 * 5 * 32);
    for (let i = 0; i < 20; i++) user.fill(i, i * 32, (i + 1) * 32);
    const device = scatterOutput(layer, user);
    // (y, x, device byte offset), worked out by hand from the schema comment's tables.
    const cases: [number, number, number][] = [
      [0, 0, 0],
      [0, 2, 64],
      [0, 3, 192],
      [0, 4, 224],
      [1, 0, 96],
      [1, 4, 192 + 64 + 32],
      [2, 1, 320 + 32],
      [3, 0, 320 + 96],
      [3, 4, 512 + 64 + 32],
    ];
    for (const [y, x, at] of cases) {
      expect([...device.subarray(at, at + 32)], `element (${y}, ${x})`).toEqual(new Array(32).fill(y * 5 + x));
    }
  });

  it('flips the most significant bit of signed elements on the way out and back (§5.5)', () => {
    const int8 = workedExample({ yDim: 1, xDim: 1, zDim: 4, sizeBytes: 16, dataType: 'int8', signed: true });
    const device = scatterOutput(int8, Uint8Array.of(0x00, 0x7f, 0x80, 0xff));
    expect([...device.subarray(0, 4)]).toEqual([0x80, 0xff, 0x00, 0x7f]);
    const int16 = workedExample({
      yDim: 1,
      xDim: 1,
      zDim: 2,
      sizeBytes: 8,
      dataType: 'int16',
      elementBytes: 2,
      signed: true,
    });
    // Little endian: only each element's second byte is flipped.
    expect([...unpackInput(int16, Uint8Array.of(0x34, 0x92, 0x00, 0x80, 9, 9, 9, 9))]).toEqual([
      0x34, 0x12, 0x00, 0x00,
    ]);
  });

  it('writes junk, not zeros, into output padding (the device writes its padding, §10 #2)', () => {
    const layer = workedExample({ yDim: 1, xDim: 1, zDim: 10, sizeBytes: 16, layout: undefined });
    const device = scatterOutput(layer, new Uint8Array(10));
    expect([...device.subarray(0, 10)]).toEqual(new Array(10).fill(0));
    expect(device.subarray(10).some((b) => b !== 0)).toBe(true);
  });
});

describe("virtual Coral's reading of compiled models (protocol §5.4–§5.7)", () => {
  it('mobilenet 0.25: the PC and EO hint scripts of §5.7', async () => {
    const model = readEmulatedModel(await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'));
    const pc = model.parameterCaching!;
    expect(pc.kind).toBe('parameter-caching');
    expect(pc.hints.map((h) => h.kind)).toEqual(['instruction', 'dma', 'interrupt']);
    expect(pc.hints[1]).toMatchObject({ buffer: 'parameter', offset: 0, size: 566912 });
    expect(pc.parameters.length).toBe(566912);
    expect(model.main.kind).toBe('execution-only');
    expect(model.main.token).toBe(pc.token);
    expect(model.main.hints).toEqual([
      { kind: 'instruction', chunk: 0 },
      { kind: 'dma', direction: 'infeed', buffer: 'input', name: 'input', batch: 0, offset: 0, size: 49152 },
      {
        kind: 'dma',
        direction: 'outfeed',
        buffer: 'output',
        name: 'MobilenetV1/Predictions/Reshape_1',
        batch: 0,
        offset: 0,
        size: 1008,
      },
      { kind: 'interrupt', type: 0 },
    ]);
    expect(model.main.outputLayers[0]).toMatchObject({ zDim: 1001, sizeBytes: 1008, dataType: 'uint8' });
  });

  it('split_concat: outputs hinted in another order than the layers (§4.9)', async () => {
    const model = readEmulatedModel(await readFixture('split_concat_edgetpu.tflite'));
    const short = (name: string) => name.split('/').pop();
    expect(model.main.outputLayers.map((l) => short(l.name))).toEqual(['split0', 'rnn1', 'split2', 'split4', 'rnn2']);
    const outHints = model.main.hints.filter((h) => h.kind === 'dma' && h.direction === 'outfeed');
    expect(outHints.map((h) => (h.kind === 'dma' ? short(h.name) : ''))).toEqual([
      'rnn1',
      'split2',
      'split0',
      'split4',
      'rnn2',
    ]);
  });

  it('keras LSTM: not fully deterministic, its own parameters and scratch, int8/int16 layers (§4.10)', async () => {
    const model = readEmulatedModel(await readFixture('keras_lstm_mnist_ptq_edgetpu.tflite'));
    expect(model.main.fullyDeterministic).toBe(false);
    expect(model.main.parameters.length).toBe(576);
    expect(model.main.scratchSizeBytes).toBe(672);
    expect(model.parameterCaching!.parameters.length).toBe(43968);
    expect(model.main.inputLayers.map((l) => l.dataType)).toEqual(['uint8', 'int8', 'int16']);
  });

  it('testconv1: one executable, stand-alone (§5.4)', async () => {
    const model = readEmulatedModel(await readFixture('testconv1-edgetpu.tflite'));
    expect(model.main.kind).toBe('stand-alone');
    expect(model.parameterCaching).toBeUndefined();
    expect(model.main.outputLayers[0]).toMatchObject({ yDim: 30, xDim: 30, zDim: 16, sizeBytes: 14400 });
  });
});
