/**
 * The CLI's image decoders (BMP, pngjs, jpeg-js): real files decode, and every broken or hostile
 * file ends in a typed error naming the file and its problem, never a decoder's stack trace.
 */
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile, MAX_JPEG_PIXELS } from '../../../src/cli/image-file.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { decodeBmp } from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { jpegClaiming, pngClaiming } from '../tasks/image-generators.ts';

async function catPng(): Promise<Uint8Array> {
  const cat = decodeBmp(await readFixture('cat.bmp'));
  const png = new PNG({ width: cat.width, height: cat.height });
  png.data.set(cat.data);
  return new Uint8Array(PNG.sync.write(png));
}

function refusal(decode: () => unknown): ReefError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(ReefError);
    return error as ReefError;
  }
  throw new Error('expected a typed error');
}

let wideJpeg: Uint8Array;
beforeAll(async () => {
  wideJpeg = await jpegClaiming(5000, 4000);
});

describe('decodeImageFile', () => {
  it('decodes real PNG and JPEG files to the header size, pixels equal to the BMP source', async () => {
    const cat = decodeBmp(await readFixture('cat.bmp'));
    const png = decodeImageFile(await catPng(), 'cat.png');
    expect([png.width, png.height]).toEqual([512, 341]);
    expect(Buffer.compare(Buffer.from(png.data), Buffer.from(cat.data))).toBe(0);
    const jpeg = decodeImageFile(await readFixture('pets.jpg'), 'pets.jpg');
    expect([jpeg.width, jpeg.height, jpeg.data.length]).toEqual([512, 430, 512 * 430 * 4]);
  });

  it('truncated PNG and JPEG: typed errors naming the file', async () => {
    const png = await catPng();
    const cutPng = refusal(() => decodeImageFile(png.subarray(0, png.length / 2), 'cut.png'));
    expect(cutPng).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'truncated-image' });
    expect(cutPng.message).toMatch(/^cut\.png: PNG: the IDAT chunk at byte \d+ runs past the end of the file$/);
    const jpeg = await readFixture('pets.jpg');
    const cutJpeg = refusal(() => decodeImageFile(jpeg.subarray(0, jpeg.length / 3), 'cut.jpg'));
    expect(cutJpeg.message).toMatch(/^cut\.jpg: /);
    expect(cutJpeg.message).not.toContain('\n');
  });

  it('a PNG whose pixel data is corrupt (bad CRC) is a typed error', async () => {
    const png = (await catPng()).slice();
    png[60] = png[60]! ^ 0xff; // inside the first IDAT
    expect(refusal(() => decodeImageFile(png, 'crc.png'))).toMatchObject({ reason: 'bad-image' });
  });

  it('headers claiming 20000×20000 are refused before a decoder allocates', async () => {
    for (const [bytes, name] of [
      [pngClaiming(20000, 20000), 'big.png'],
      [await jpegClaiming(20000, 20000), 'big.jpg'],
    ] as const) {
      expect(refusal(() => decodeImageFile(bytes, name))).toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        reason: 'image-too-large',
        message: `${name}: 20000×20000 is 400,000,000 pixels; Reef decodes images of up to 40,000,000 pixels (40 megapixels)`,
      });
    }
  });

  it('JPEGs above 16 MP are refused by the CLI decoder (jpeg-js needs ~40 bytes a pixel)', async () => {
    expect(MAX_JPEG_PIXELS).toBe(16_000_000);
    expect(refusal(() => decodeImageFile(wideJpeg, 'wide.jpg'))).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      reason: 'image-too-large',
      message:
        'wide.jpg: 5000×4000 is 20,000,000 pixels; the CLI decodes JPEGs of up to 16,000,000 pixels (16 megapixels): downscale it or convert it to PNG',
    });
  });

  it('a PNG whose data is shorter than its header promises (8 MP claimed) is a typed error', () => {
    // pngjs alone pads the missing rows with zeros and returns a picture.
    expect(refusal(() => decodeImageFile(pngClaiming(4000, 2000), 'short.png'))).toMatchObject({
      reason: 'bad-image',
      message: 'short.png: PNG: the pixel data holds 4096 bytes, its 4000×2000 header needs 24002000',
    });
  });

  it('a PNG bomb (a 16×16 header over 10 MB of inflated zeros) stops at the size the header allows', () => {
    const bomb = pngClaiming(16, 16, new Uint8Array(10_000_000));
    expect(bomb.length).toBeLessThan(20_000);
    expect(refusal(() => decodeImageFile(bomb, 'bomb.png')).message).toBe(
      'bomb.png: PNG: the pixel data inflates past the 784 bytes its 16×16 header allows',
    );
  });

  it('unknown formats and GIF are refused by name', () => {
    expect(refusal(() => decodeImageFile(new TextEncoder().encode('hello'), 'a.txt'))).toMatchObject({
      reason: 'unknown-image-format',
    });
    const gif = new Uint8Array([...new TextEncoder().encode('GIF89a'), 1, 0, 1, 0, 0, 0, 0]);
    expect(refusal(() => decodeImageFile(gif, 'a.gif')).message).toMatch(/^a\.gif: GIF images are not supported/);
  });
});
