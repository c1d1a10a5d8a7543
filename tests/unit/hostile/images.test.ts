/**
 * Hostile-input suite, images (issue 13): `reef run` on truncated PNG/JPEG files, headers that
 * claim 20000×20000 and a real 20000×20000 PNG, in a capped child process.
 */
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../support/fixtures.ts';
import { jpegClaiming, pngClaiming, smallJpeg, smallPng, truncated, zeroPng } from '../../support/hostile-images.ts';
import { expectResult, expectTypedError, expectTypedErrorOrResult, runReef } from './child.ts';
import { workdir } from './workdir.ts';

const CASE_MS = 30_000;
const files = workdir('images');
const MODEL = 'mobilenet_v1_0.25_128_quant.tflite';

async function run(name: string, image: Uint8Array) {
  return runReef('run', await fixturePath(MODEL), files.put(name, image), '--json');
}

describe('hostile input: images', () => {
  it('a truncated PNG', async () => expectTypedError(await run('cut.png', truncated(smallPng()))), CASE_MS);

  it('a truncated JPEG', async () => expectTypedError(await run('cut.jpg', truncated(smallJpeg()))), CASE_MS);

  it(
    'a PNG header claiming 20000×20000',
    async () => expectTypedError(await run('claim.png', pngClaiming(20_000, 20_000))),
    CASE_MS,
  );

  it(
    'a JPEG header claiming 20000×20000',
    async () => expectTypedError(await run('claim.jpg', jpegClaiming(20_000, 20_000))),
    CASE_MS,
  );

  it(
    'a real 20000×20000 PNG (a few hundred KB of zero rows): refused by size, or decoded within limits',
    async () => {
      const png = zeroPng(20_000, 20_000);
      expect(png.length).toBeLessThan(2 * 1024 * 1024);
      expectTypedErrorOrResult(await run('real.png', png), (stdout) => JSON.parse(stdout));
    },
    CASE_MS,
  );

  it(
    'small valid PNG and JPEG classify (the control case)',
    async () => {
      expectResult(await run('ok.png', smallPng()), (stdout) => JSON.parse(stdout));
      expectResult(await run('ok.jpg', smallJpeg()), (stdout) => JSON.parse(stdout));
    },
    CASE_MS,
  );
});
