/**
 * Image sizes come from the header, before any decoder runs: real fixture files give their true
 * size, headers that claim more than 40 megapixels are refused with the number, and truncated or
 * unknown headers are typed errors. The browser path (a Blob before createImageBitmap) uses it too.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  decodeBmp,
  encodeBmp,
  MAX_IMAGE_PIXELS,
  readImageBlobHeader,
  readImageHeader,
} from '../../../src/lib/tasks/index.ts';
import { readFixture } from '../../support/fixtures.ts';
import { jpegClaiming, pngClaiming } from './image-generators.ts';

describe('readImageHeader', () => {
  it('reads the true size of real BMP, JPEG and PNG files', async () => {
    expect(readImageHeader(await readFixture('cat.bmp'))).toEqual({ format: 'bmp', width: 512, height: 341 });
    expect(readImageHeader(await readFixture('grace_hopper.bmp'))).toEqual({
      format: 'bmp',
      width: 512,
      height: 600,
    });
    expect(readImageHeader(await readFixture('pets.jpg'))).toEqual({ format: 'jpeg', width: 512, height: 430 });
    const cat = decodeBmp(await readFixture('cat.bmp'));
    const png = new PNG({ width: cat.width, height: cat.height });
    png.data.set(cat.data);
    expect(readImageHeader(new Uint8Array(PNG.sync.write(png)))).toEqual({ format: 'png', width: 512, height: 341 });
  });

  it('refuses headers above 40 megapixels with the number, before decoding', async () => {
    expect(MAX_IMAGE_PIXELS).toBe(40_000_000);
    const refusal = {
      name: 'ReefError',
      code: 'RESOURCE_EXHAUSTED',
      reason: 'image-too-large',
      message: 'big: 20000×20000 is 400,000,000 pixels; Reef decodes images of up to 40,000,000 pixels (40 megapixels)',
    };
    expect(() => readImageHeader(pngClaiming(20000, 20000), 'big')).toThrow(expect.objectContaining(refusal));
    const bigJpeg = await jpegClaiming(20000, 20000);
    expect(() => readImageHeader(bigJpeg, 'big')).toThrow(expect.objectContaining(refusal));
    const bmp = encodeBmp({ width: 2, height: 2, data: new Uint8Array(16) });
    new DataView(bmp.buffer).setInt32(18, 20000, true);
    new DataView(bmp.buffer).setInt32(22, -20000, true);
    expect(() => readImageHeader(bmp, 'big')).toThrow(expect.objectContaining(refusal));
    expect(() => decodeBmp(bmp)).toThrow(expect.objectContaining({ reason: 'image-too-large' }));
    // Just under the limit is allowed (the header only; decoding is the decoder's job).
    expect(readImageHeader(pngClaiming(8000, 5000))).toMatchObject({ width: 8000, height: 5000 });
    expect(() => readImageHeader(pngClaiming(8000, 5001))).toThrow(/40,008,000 pixels/);
  });

  it('typed errors for truncated, empty-sized and unknown headers', async () => {
    const jpeg = await readFixture('pets.jpg');
    expect(() => readImageHeader(jpeg.subarray(0, 100), 'cut.jpg')).toThrow(
      expect.objectContaining({
        reason: 'truncated-image',
        message: expect.stringMatching(/^cut\.jpg: JPEG: no frame header/),
      }),
    );
    expect(() => readImageHeader(pngClaiming(1, 1).subarray(0, 20), 'cut.png')).toThrow(
      expect.objectContaining({ reason: 'truncated-image' }),
    );
    expect(() => readImageHeader(pngClaiming(0, 10), 'zero.png')).toThrow(
      expect.objectContaining({ reason: 'bad-image-size', message: 'zero.png: PNG: the header says 0×10 pixels' }),
    );
    expect(() => readImageHeader(new TextEncoder().encode('<html>'), 'page.html')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', reason: 'unknown-image-format' }),
    );
  });

  it('GIF and WebP headers (what the page may hand createImageBitmap)', () => {
    const gif = new Uint8Array([...new TextEncoder().encode('GIF89a'), 0x20, 0x4e, 0x20, 0x4e, 0, 0, 0]);
    expect(() => readImageHeader(gif)).toThrow(/20000×20000/);
    const webp = new Uint8Array(30);
    webp.set(new TextEncoder().encode('RIFF'), 0);
    webp.set(new TextEncoder().encode('WEBPVP8X'), 8);
    webp.set([0x1f, 0x4e, 0x00, 0x1f, 0x4e, 0x00], 24); // (20000-1) little-endian, twice
    expect(() => readImageHeader(webp)).toThrow(/20000×20000/);
    webp.set([99, 0, 0, 49, 0, 0], 24);
    expect(readImageHeader(webp)).toEqual({ format: 'webp', width: 100, height: 50 });
  });
});

/** A Blob of the parts (copied: Blob takes ArrayBuffer-backed views only). */
function blob(...parts: Uint8Array[]): Blob {
  return new Blob(parts.map((p) => new Uint8Array(p)));
}

describe('readImageBlobHeader (the browser path, before createImageBitmap)', () => {
  it('refuses a lying PNG blob and reads a real JPEG blob', async () => {
    await expect(readImageBlobHeader(blob(pngClaiming(20000, 20000)), 'drop.png')).rejects.toMatchObject({
      reason: 'image-too-large',
    });
    expect(await readImageBlobHeader(blob(await readFixture('pets.jpg')))).toEqual({
      format: 'jpeg',
      width: 512,
      height: 430,
    });
  });

  it('finds a JPEG frame header behind more than 1 MiB of metadata segments', async () => {
    const jpeg = await jpegClaiming(640, 480);
    const app = new Uint8Array(65535 + 2);
    app.set([0xff, 0xe1, 0xff, 0xff]); // APP1 of the largest length
    const padded = blob(jpeg.subarray(0, 2), ...Array.from({ length: 17 }, () => app), jpeg.subarray(2));
    expect(padded.size).toBeGreaterThan(1 << 20);
    expect(await readImageBlobHeader(padded)).toEqual({ format: 'jpeg', width: 640, height: 480 });
  });
});
