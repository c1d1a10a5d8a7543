import { beforeAll, describe, expect, it } from 'vitest';
import { checkSegmentSet } from '../../../src/lib/edgetpu/devices/segment-set.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { readModel, writeModel } from '../../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';

let seg0: Uint8Array;
let seg1: Uint8Array;
let splitConcat: Uint8Array;
let mobilenet: Uint8Array;

beforeAll(async () => {
  [seg0, seg1, splitConcat, mobilenet] = await Promise.all([
    readFixture(SEG0),
    readFixture(SEG1),
    readFixture('split_concat_edgetpu.tflite'),
    readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'),
  ]);
});

/** The typed error `run` throws (fails the test when it throws nothing or something untyped). */
function refusal(run: () => unknown): ReefError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReefError);
    return error as ReefError;
  }
  throw new Error('expected a refusal');
}

/** Segment 1 rewritten by `edit` (its tensors, inputs), everything else as compiled. */
function editedSeg1(edit: (m: ReturnType<typeof readModel>) => void): Uint8Array {
  const model = readModel(seg1);
  edit(model);
  return writeModel(model);
}

describe('a set of *_segment_K_of_N_edgetpu.tflite files', () => {
  it('puts the SSD segments in pipeline order and feeds every output to the input of the same name', () => {
    const set = checkSegmentSet([
      { name: SEG1, bytes: seg1 },
      { name: SEG0, bytes: seg0 },
    ]);
    expect(set.segments.map((s) => s.name)).toEqual([SEG0, SEG1]);
    expect(set.feeds).toEqual([[], [0, 1, 2]]);
  });

  it('feeds by name, not position, when the next segment lists its inputs in another order', () => {
    const reordered = editedSeg1((m) => {
      const [a, b, c] = m.subgraphs[0]!.inputs;
      m.subgraphs[0]!.inputs = [c!, a!, b!];
    });
    const set = checkSegmentSet([
      { name: SEG0, bytes: seg0 },
      { name: SEG1, bytes: reordered },
    ]);
    expect(set.feeds).toEqual([[], [2, 0, 1]]);
  });

  it('refuses segments of different N, naming the file', () => {
    const error = refusal(() =>
      checkSegmentSet([
        { name: 'ssd_segment_0_of_2_edgetpu.tflite', bytes: seg0 },
        { name: 'ssd_segment_1_of_3_edgetpu.tflite', bytes: seg1 },
      ]),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'segment-mismatch' });
    expect(error.message).toBe('ssd_segment_1_of_3_edgetpu.tflite does not belong to a 2-segment pipeline');
  });

  it('refuses a set with a segment missing or given twice', () => {
    const missing = refusal(() => checkSegmentSet([{ name: SEG1, bytes: seg1 }]));
    expect(missing).toMatchObject({ reason: 'segment-missing', message: 'segment(s) 0 of 2 are missing' });
    const twice = refusal(() =>
      checkSegmentSet([
        { name: SEG0, bytes: seg0 },
        { name: `copy_of_${SEG0}`, bytes: seg0 },
      ]),
    );
    expect(twice).toMatchObject({ reason: 'segment-mismatch' });
    expect(twice.message).toContain(`copy_of_${SEG0}`);
    expect(refusal(() => checkSegmentSet([]))).toMatchObject({ reason: 'segment-missing' });
  });

  it('refuses a next segment with another number of inputs', () => {
    const error = refusal(() =>
      checkSegmentSet([
        { name: 'x_segment_0_of_2_edgetpu.tflite', bytes: seg0 },
        { name: 'x_segment_1_of_2_edgetpu.tflite', bytes: mobilenet },
      ]),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'segment-io-mismatch' });
    expect(error.message).toBe(
      'x_segment_0_of_2_edgetpu.tflite gives 3 output(s) but x_segment_1_of_2_edgetpu.tflite takes 1 input(s): they are not consecutive segments of one model',
    );
  });

  it('refuses mismatched tensor shapes, naming both tensors and both shapes', () => {
    // split_concat takes three inputs too, but of other names and shapes: paired by position.
    const error = refusal(() =>
      checkSegmentSet([
        { name: 'x_segment_0_of_2_edgetpu.tflite', bytes: seg0 },
        { name: 'x_segment_1_of_2_edgetpu.tflite', bytes: splitConcat },
      ]),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'segment-io-mismatch' });
    expect(error.message).toBe(
      'x_segment_0_of_2_edgetpu.tflite output 0 (FeatureExtractor/MobilenetV2/expanded_conv_13/expand/Relu6) does not fit x_segment_1_of_2_edgetpu.tflite input 0 (input1): shape 1x19x19x576 ≠ 1x8x8x3',
    );
  });

  it('refuses a shape or quantization changed on one side of the cut', () => {
    const reshaped = editedSeg1((m) => {
      const sg = m.subgraphs[0]!;
      sg.tensors[sg.inputs[1]!]!.shape = [1, 10, 10, 255];
    });
    const shape = refusal(() =>
      checkSegmentSet([
        { name: SEG0, bytes: seg0 },
        { name: SEG1, bytes: reshaped },
      ]),
    );
    expect(shape).toMatchObject({ reason: 'segment-io-mismatch' });
    expect(shape.message).toMatch(
      /output 1 \(.*layer_19_1_Conv2d_2_1x1_256\/Relu6\) does not fit .* input 1 .*: shape 1x10x10x256 ≠ 1x10x10x255$/,
    );

    const requantized = editedSeg1((m) => {
      const sg = m.subgraphs[0]!;
      sg.tensors[sg.inputs[2]!]!.quantization!.zeroPoint = [3];
    });
    const quant = refusal(() =>
      checkSegmentSet([
        { name: SEG0, bytes: seg0 },
        { name: SEG1, bytes: requantized },
      ]),
    );
    expect(quant.message).toMatch(
      /output 2 \(.*Conv_1\/Relu6\) does not fit .* input 2 .*: quantization scale 0\.0235\d+ zero point 0 ≠ scale 0\.0235\d+ zero point 3$/,
    );
  });
});
