import { describe, expect, it } from 'vitest';
import { engineWords } from '../../../src/app/shared/engine-words.ts';
import { loadPlan } from '../../../src/app/shared/inference-client.ts';
import { segmentSets } from '../../../src/app/shared/segment-sets.ts';
import { MemoryFileCache } from '../../../src/lib/zoo/index.ts';
import { ModelLibrary } from '../../../src/worker/model-library.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

const SEG0: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite';
const SEG1: FixtureName = 'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite';

describe('imported segment files pair up into one model', () => {
  it('groups a whole set by the names the worker read; a set with a segment missing stays apart', async () => {
    const library = new ModelLibrary(new MemoryFileCache());
    const [seg0, seg1] = await Promise.all([readFixture(SEG0), readFixture(SEG1)]);
    const one = await library.importFile(SEG1, seg1);
    const zero = await library.importFile(SEG0, seg0);
    // Segment 0 of a three-segment set whose other two were never imported.
    await library.importFile(
      'other_segment_0_of_3_edgetpu.tflite',
      await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'),
    );
    const files = await library.files();
    expect(files.find((f) => f.name === SEG1)?.segment).toEqual({
      set: 'ssd_mobilenet_v2_coco_quant_postprocess',
      index: 1,
      count: 2,
    });
    expect(segmentSets(files)).toEqual([
      {
        name: 'ssd_mobilenet_v2_coco_quant_postprocess',
        segments: [
          { name: SEG0, sha256: zero.sha256 },
          { name: SEG1, sha256: one.sha256 },
        ],
      },
    ]);
  });

  it('loads a set as its segment files on every engine (the worker refuses the ones off the TPU)', () => {
    const segments = [
      { name: SEG0, sha256: 'aa' },
      { name: SEG1, sha256: 'bb' },
    ];
    const choice = { key: 'catalog:ssd', title: 'SSD', task: 'detect' as const, segments };
    expect(loadPlan(choice, 'auto')).toEqual({ segments, options: { engine: 'auto' } });
    expect(loadPlan(choice, 'wasm')).toEqual({ segments, options: { engine: 'wasm' } });
  });

  it('names a pipeline by all of its TPUs', () => {
    expect(engineWords('edgetpu-pipeline', 'usb:0,usb:1')).toBe('Coral usb:0 + usb:1');
    expect(engineWords('edgetpu-pipeline', 'usb:2')).toBe('Coral usb:2');
  });
});
