/**
 * Image files in Node: BMP (Reef's decoder), PNG (pngjs), JPEG (jpeg-js) → RGBA. The size comes
 * from the header first and is checked against MAX_IMAGE_PIXELS before a decoder allocates
 * anything; whatever a decoder throws becomes a typed error naming the file and its problem.
 */
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ReefError } from '../lib/errors.ts';
import { decodeBmp, imageError, readImageHeader, type RgbaImage } from '../lib/tasks/index.ts';

/**
 * jpeg-js needs about 40 bytes of memory a pixel (16-bit planes per component, component outputs,
 * RGB and RGBA copies) and several seconds for 16 MP: measured, a 16 MP JPEG takes 690 MB and a
 * 24 MP one 930 MB of RSS in `reef run`. So the CLI decodes JPEGs up to 16 megapixels, within the
 * 1 GiB every input must fit in; PNG and BMP go up to MAX_IMAGE_PIXELS (40 MP).
 */
export const MAX_JPEG_PIXELS = 16_000_000;

/** jpeg-js's own guards, set from Reef's limit (its default memory cap is not ours). */
const JPEG_LIMITS = {
  maxResolutionInMP: MAX_JPEG_PIXELS / 1e6,
  maxMemoryUsageInMB: Math.ceil((MAX_JPEG_PIXELS * 32) / 2 ** 20),
};

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * pngjs pads pixel data that ends early with zeros (a quietly wrong picture) and inflates
 * interlaced images without a size cap (a bomb). So the IDAT stream is inflated here first, capped
 * at the size the header implies, and must hold exactly that many bytes.
 */
function checkPngData(bytes: Uint8Array, name: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = bytes[24]!;
  const channels = PNG_CHANNELS[bytes[25]!];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) {
    throw imageError(name, `PNG: color type ${bytes[25]} with bit depth ${depth} is not valid`, 'bad-image');
  }
  const rowBytes = (w: number): number => (w === 0 ? 0 : Math.ceil((w * channels * depth) / 8) + 1);
  const expected =
    bytes[28] === 1
      ? ADAM7.reduce((sum, [x0, y0, dx, dy]) => {
          const w = Math.ceil(Math.max(0, width - x0) / dx);
          const h = Math.ceil(Math.max(0, height - y0) / dy);
          return sum + (w === 0 ? 0 : rowBytes(w) * h);
        }, 0)
      : rowBytes(width) * height;
  const idat: Uint8Array[] = [];
  let at = 8;
  for (;;) {
    if (at + 8 > bytes.length) throw imageError(name, 'PNG: the file ends before its IEND chunk', 'truncated-image');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) {
      throw imageError(name, `PNG: the ${type} chunk at byte ${at} runs past the end of the file`, 'truncated-image');
    }
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  let inflated: number;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1 }).length;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const bomb = /maxOutputLength|buffer/i.test(why);
    throw imageError(
      name,
      bomb
        ? `PNG: the pixel data inflates past the ${expected} bytes its ${width}×${height} header allows`
        : `PNG: the pixel data is corrupt (${why})`,
      'bad-image',
    );
  }
  if (inflated !== expected) {
    throw imageError(
      name,
      `PNG: the pixel data holds ${inflated} bytes, its ${width}×${height} header needs ${expected}`,
      'bad-image',
    );
  }
}

function decoded(name: string, format: string, decode: () => RgbaImage): RgbaImage {
  try {
    return decode();
  } catch (error) {
    if (error instanceof ReefError) throw error;
    const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    if (/maxMemoryUsageInMB|maxResolutionInMP/.test(why ?? '')) {
      throw new ReefError(
        'RESOURCE_EXHAUSTED',
        `${name}: the ${format} file needs more memory to decode than Reef allows (${why})`,
        {
          reason: 'image-too-large',
        },
      );
    }
    throw imageError(name, `the ${format} file could not be decoded (${why})`, 'bad-image');
  }
}

export function decodeImageFile(bytes: Uint8Array, name = 'image'): RgbaImage {
  const header = readImageHeader(bytes, name);
  let image: RgbaImage;
  switch (header.format) {
    case 'bmp':
      image = decoded(name, 'BMP', () => decodeBmp(bytes));
      break;
    case 'png':
      checkPngData(bytes, name);
      image = decoded(name, 'PNG', () => {
        const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return {
          width: png.width,
          height: png.height,
          data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
        };
      });
      break;
    case 'jpeg':
      if (header.width * header.height > MAX_JPEG_PIXELS) {
        throw new ReefError(
          'RESOURCE_EXHAUSTED',
          `${name}: ${header.width}×${header.height} is ${(header.width * header.height).toLocaleString('en')} pixels; the CLI decodes JPEGs of up to ${MAX_JPEG_PIXELS.toLocaleString('en')} pixels (16 megapixels): downscale it or convert it to PNG`,
          { reason: 'image-too-large' },
        );
      }
      image = decoded(name, 'JPEG', () => {
        const jpg = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, ...JPEG_LIMITS });
        return { width: jpg.width, height: jpg.height, data: jpg.data };
      });
      break;
    default:
      throw imageError(
        name,
        `${header.format.toUpperCase()} images are not supported here: use BMP, PNG or JPEG`,
        'unknown-image-format',
      );
  }
  // A decoder must deliver what the header promised, in full: anything else is a broken file.
  if (
    image.width !== header.width ||
    image.height !== header.height ||
    image.data.length !== image.width * image.height * 4
  ) {
    throw imageError(
      name,
      `the header says ${header.width}×${header.height}, the decoder produced ${image.width}×${image.height} with ${image.data.length} bytes`,
      'bad-image',
    );
  }
  return image;
}
