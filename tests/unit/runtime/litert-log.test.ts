/** LiteRT's log lines → one readable typed error (the lines are those LiteRT prints; see litert-failures.test.ts). */
import { describe, expect, it } from 'vitest';
import { LiteRtLogCapture, liteRtLogError } from '../../../src/lib/runtime/litert-log.ts';

describe('liteRtLogError', () => {
  it('a kernel that fails to prepare: the op, its index in the user model and the check, in one line', () => {
    const error = liteRtLogError(
      [
        'ERROR: third_party/tensorflow/lite/kernels/activations.cc:554 output->params.zero_point != -128 (0 != -128)',
        'ERROR: Node number 0 (SOFTMAX) failed to prepare.',
        'ERROR: [litert_compiled_model.cc:164] Failed to allocate tensors',
      ],
      'run',
      [7],
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'litert-prepare-failed' });
    expect(error.message).toBe(
      'LiteRT could not prepare op 7 (SOFTMAX): output->params.zero_point != -128 (0 != -128)',
    );
  });

  it('invoke failures, allocation failures alone, and anything else', () => {
    expect(liteRtLogError(['ERROR: Node number 3 (CONV_2D) failed to invoke.'], 'run')).toMatchObject({
      code: 'INTERNAL',
      reason: 'litert-invoke-failed',
      message: 'LiteRT could not invoke op 3 (CONV_2D)',
    });
    expect(liteRtLogError(['ERROR: [litert_compiled_model.cc:164] Failed to allocate tensors'], 'run')).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      reason: 'litert-allocate-failed',
      message: 'LiteRT could not allocate the model’s tensors',
    });
    expect(liteRtLogError(['ERROR: The model is not a valid Flatbuffer buffer'], 'load')).toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'litert-model-rejected',
      message: 'LiteRT could not load the model: The model is not a valid Flatbuffer buffer',
    });
  });
});

describe('LiteRtLogCapture', () => {
  it('keeps ERROR/FATAL lines of the current call only, and a bounded number of lines', () => {
    const capture = new LiteRtLogCapture();
    capture.write('INFO: Created TensorFlow Lite XNNPACK delegate for CPU.');
    capture.write('ERROR: old failure');
    capture.reset();
    capture.write('WARNING: something\nERROR: new failure');
    expect(capture.failures).toEqual(['ERROR: new failure']);
    for (let i = 0; i < 10_000; i++) capture.write(`ERROR: flood ${i}`);
    expect(capture.failures.length).toBeLessThan(100);
  });
});
