/**
 * Image files in Node: BMP (Reef's decoder), PNG (pngjs), JPEG (jpeg-js) → RGBA. The size comes
 * from the header first and is checked against MAX_IMAGE_PIXELS before a decoder allocates
 * anything; whatever a decoder throws becomes a typed error naming the file and its problem.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ReefError } from '../lib/errors.ts';
import { decodeBmp, imageError, MAX_IMAGE_PIXELS, readImageHeader, type RgbaImage } from '../lib/tasks/index.ts';

/** jpeg-js's own guards, set from Reef's limit (its default memory cap is not ours). */
const JPEG_LIMITS = {
  maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
  // RGBA output plus jpeg-js's per-component planes for the largest image allowed.
  maxMemoryUsageInMB: Math.ceil((MAX_IMAGE_PIXELS * 8) / 2 ** 20),
};

function decoded(name: string, format: string, decode: () => RgbaImage): RgbaImage {
  try {
    return decode();
  } catch (error) {
    if (error instanceof ReefError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw imageError(name, `the ${format} file could not be decoded (${why.split('\n')[0]})`, 'bad-image');
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
