/**
 * Hostile-input suite, ZIP bombs (issue 13): label ZIPs appended to a model (`reef inspect`,
 * `reef run`) and dataset ZIPs (importDatasetZip), each in a capped child process.
 */
import { describe, it } from 'vitest';
import {
  datasetOverlapBomb,
  datasetSizeLieBomb,
  honestDataset,
  manyClassesDataset,
  sharedImageDataset,
} from '../../support/hostile-datasets.ts';
import { eocdFlood, overlapBomb, sizeLieBomb } from '../../support/hostile-zip.ts';
import { fixturePath, readFixture } from '../../support/fixtures.ts';
import { expect } from 'vitest';
import { expectResult, expectTypedError, expectTypedErrorOrResult, runEntry, runReef } from './child.ts';
import { appended, workdir } from './workdir.ts';

const CASE_MS = 30_000;
const files = workdir('zip');

interface Inspection {
  labels: string[] | null;
  warnings: string[];
}

/** Inspecting a model with a hostile label ZIP is a correct report whose warning names the ZIP. */
function reportWarnsAboutZip(stdout: string): void {
  const report = JSON.parse(stdout) as Inspection;
  expect((report.labels ?? []).length).toBeLessThan(2000);
  expect(report.warnings.join('\n')).toMatch(/ZIP/);
}

describe('hostile input: ZIPs appended to a model', () => {
  const model = () => readFixture('mobilenet_v1_0.25_128_quant.tflite');

  it(
    'overlapping entries over one 60 MB member (≈65 KB → 3.7 GB)',
    async () => {
      const path = files.put('overlap.tflite', appended(await model(), overlapBomb(60, 60)));
      expectResult(await runReef('inspect', path, '--json'), reportWarnsAboutZip);
    },
    CASE_MS,
  );

  it(
    'overlapping entries within the size limits (1 MiB member × 60)',
    async () => {
      const path = files.put('overlap-small.tflite', appended(await model(), overlapBomb(1, 60)));
      expectResult(await runReef('inspect', path, '--json'), reportWarnsAboutZip);
    },
    CASE_MS,
  );

  it(
    'a member declaring 1 KiB that inflates to 1 GiB',
    async () => {
      const path = files.put('size-lie.tflite', appended(await model(), sizeLieBomb(1024, 1024)));
      expectResult(await runReef('inspect', path, '--json'), reportWarnsAboutZip);
    },
    CASE_MS,
  );

  it(
    'an end-of-central-directory flood',
    async () => {
      const path = files.put('eocd-flood.tflite', appended(await model(), eocdFlood()));
      expectTypedErrorOrResult(await runReef('inspect', path, '--json'), (stdout) => {
        JSON.parse(stdout);
      });
    },
    CASE_MS,
  );

  it(
    '`reef run` on a model carrying the overlap bomb classifies or fails typed, within limits',
    async () => {
      const path = files.put('overlap-run.tflite', appended(await model(), overlapBomb(60, 60)));
      expectTypedErrorOrResult(await runReef('run', path, await fixturePath('cat.bmp'), '--json'), (stdout) => {
        expect((JSON.parse(stdout) as { classes: { id: number }[] }).classes[0]?.id).toBe(283);
      });
    },
    CASE_MS,
  );
});

describe('hostile input: dataset ZIPs (importDatasetZip)', () => {
  it(
    'an image declaring 1 KiB that inflates to 1 GiB',
    async () => {
      expectTypedError(await runEntry('import-dataset.ts', files.put('lie.zip', datasetSizeLieBomb(1024))), /^zip-/);
    },
    CASE_MS,
  );

  it(
    'overlapping entries',
    async () => {
      expectTypedError(await runEntry('import-dataset.ts', files.put('overlap.zip', datasetOverlapBomb())), /^zip-/);
    },
    CASE_MS,
  );

  it(
    '100,000 samples pointing at one image',
    async () => {
      const result = await runEntry('import-dataset.ts', files.put('shared.zip', sharedImageDataset(100_000)));
      expectTypedError(result, /^dataset-limit$/);
    },
    CASE_MS,
  );

  it(
    '50,000 classes',
    async () => {
      const result = await runEntry('import-dataset.ts', files.put('classes.zip', manyClassesDataset(50_000)));
      expectTypedError(result, /^dataset-limit$/);
    },
    CASE_MS,
  );

  it(
    'an honest dataset imports (the control case)',
    async () => {
      const result = await runEntry('import-dataset.ts', files.put('honest.zip', honestDataset(50)));
      expectResult(result, (stdout) => expect(stdout.trim()).toBe('ok 1 50'));
    },
    CASE_MS,
  );
});
