/**
 * Hostile-input suite, models (issue 13): flatbuffer aliasing, shapes that lie, absurd Edge TPU
 * executable sizes, a model with no inputs and an int8 SOFTMAX LiteRT refuses — through the `reef`
 * CLI in a capped child process. Each ends in a typed error or a correct result.
 */
import { describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../../support/fixtures.ts';
import {
  aliasedModel,
  badSoftmaxModel,
  constantShapeLieModel,
  hugeInputModel,
  noInputsModel,
  patchExecutable,
} from '../../support/hostile-models.ts';
import { expectResult, expectTypedError, runReef } from './child.ts';
import { workdir } from './workdir.ts';

const CASE_MS = 30_000;
const files = workdir('models');

describe('hostile input: flatbuffer aliasing', () => {
  it(
    'one 64 KiB name shared by 30,000 tensors: a typed error, not 2 GB of strings',
    async () => {
      expectTypedError(await runReef('inspect', files.put('names.tflite', aliasedModel()), '--json'), /^too-large$/);
    },
    CASE_MS,
  );

  it(
    'one 64 KiB name shared by 15,000 tensors (few enough tables to pass a count of elements: 1 GB of names)',
    async () => {
      const path = files.put('names-15k.tflite', aliasedModel({ copies: 15_000 }));
      expectTypedError(await runReef('inspect', path, '--json'), /^too-large$/);
    },
    CASE_MS,
  );

  it(
    'one 64 KiB custom code shared by 30,000 opcodes',
    async () => {
      const path = files.put('codes.tflite', aliasedModel({ via: 'opcodes' }));
      expectTypedError(await runReef('inspect', path, '--json'), /^too-large$/);
    },
    CASE_MS,
  );

  it(
    '100,000 inputs naming one tensor: inspect --json is bounded and says what it left out',
    async () => {
      const path = files.put('inputs.tflite', aliasedModel({ copies: 1, inputs: 100_000, nameBytes: 65_536 }));
      const result = await runReef('inspect', path, '--json');
      expectResult(result, (stdout) => {
        expect(result.stdoutBytes).toBeLessThan(1024 * 1024);
        const report = JSON.parse(stdout) as { inputs: unknown[]; omitted: { io?: number } };
        expect(report.inputs).toHaveLength(64);
        expect(report.omitted.io).toBe(100_000 - 64);
      });
    },
    CASE_MS,
  );

  it(
    '100,000 inputs naming one tensor: the text report is bounded too',
    async () => {
      const path = files.put('inputs-text.tflite', aliasedModel({ copies: 1, inputs: 100_000, nameBytes: 65_536 }));
      const result = await runReef('inspect', path);
      expectResult(result, (stdout) => expect(stdout).toMatch(/Left out: 99936 io/));
    },
    CASE_MS,
  );
});

describe('hostile input: shapes that lie', () => {
  it(
    'an input claiming 1×20000×20000×3: run refuses before allocating, with the number',
    async () => {
      const path = files.put('huge-input.tflite', hugeInputModel());
      const result = await runReef('run', path, await fixturePath('cat.bmp'), '--json');
      expectTypedError(result);
      expect(result.stderr + result.stdout).toMatch(/1200000000|1,200,000,000|20000/);
    },
    CASE_MS,
  );

  it(
    'inspect still describes that model (reading it allocates nothing)',
    async () => {
      const result = await runReef('inspect', files.put('huge-input-inspect.tflite', hugeInputModel()), '--json');
      expectResult(result, (stdout) =>
        expect((JSON.parse(stdout) as { inputs: { shape: number[] }[] }).inputs[0]?.shape).toEqual([
          1, 20_000, 20_000, 3,
        ]),
      );
    },
    CASE_MS,
  );

  it(
    'a constant whose shape grew while its buffer stayed 720 bytes',
    async () => {
      const path = files.put('const-lie.tflite', constantShapeLieModel());
      expectTypedError(await runReef('run', path, await fixturePath('cat.bmp'), '--json'));
    },
    CASE_MS,
  );
});

describe('hostile input: absurd Edge TPU executable sizes', () => {
  const compiled = () => readFixture('testconv1-edgetpu.tflite');

  it(
    'a DMA hint of −262,144 bytes',
    async () => {
      const path = files.put('hint.tflite', patchExecutable(await compiled(), 'hint-size', -262_144));
      expectTypedError(await runReef('inspect', path, '--json'), /^bad-executable$/);
    },
    CASE_MS,
  );

  it(
    'a DMA hint of 2 GiB',
    async () => {
      const path = files.put('hint-2g.tflite', patchExecutable(await compiled(), 'hint-size', 0x7ffffff0));
      expectTypedError(await runReef('inspect', path, '--json'), /^bad-executable$/);
    },
    CASE_MS,
  );

  it(
    'a negative output layer size',
    async () => {
      const path = files.put('layer.tflite', patchExecutable(await compiled(), 'layer-size', -4096));
      expectTypedError(await runReef('inspect', path, '--json'), /^bad-executable$/);
    },
    CASE_MS,
  );

  it(
    'an output layer 2^31 elements wide',
    async () => {
      const path = files.put('xdim.tflite', patchExecutable(await compiled(), 'x-dim', 0x7fffffff));
      expectTypedError(await runReef('inspect', path, '--json'), /^bad-executable$/);
    },
    CASE_MS,
  );
});

describe('hostile input: models LiteRT or Reef cannot run', () => {
  it(
    'a model with no inputs: run fails typed (no TypeError from preprocessing)',
    async () => {
      const path = files.put('no-inputs.tflite', noInputsModel());
      expectTypedError(await runReef('run', path, await fixturePath('cat.bmp'), '--json'));
    },
    CASE_MS,
  );

  it(
    'an int8 SOFTMAX whose output zero point is not −128: run fails, prints no classification',
    async () => {
      const path = files.put('softmax.tflite', badSoftmaxModel(0));
      expectTypedError(await runReef('run', path, await fixturePath('cat.bmp'), '--json'));
    },
    CASE_MS,
  );

  it(
    'the same SOFTMAX with zero point −128 runs (the control case)',
    async () => {
      const path = files.put('softmax-ok.tflite', badSoftmaxModel(-128));
      expectResult(await runReef('run', path, await fixturePath('cat.bmp'), '--json'), (stdout) =>
        expect((JSON.parse(stdout) as { task: string }).task).toBe('classify'),
      );
    },
    CASE_MS,
  );
});
