/** Image files in Node: BMP (Reef's decoder), PNG (pngjs), JPEG (jpeg-js) → RGBA. */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ReefError } from '../lib/errors.ts';
import { decodeBmp, isBmp, type RgbaImage } from '../lib/tasks/index.ts';

export function decodeImageFile(bytes: Uint8Array, name = 'image'): RgbaImage {
  if (isBmp(bytes)) return decodeBmp(bytes);
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  }
  throw new ReefError('INVALID_ARGUMENT', `${name}: not a BMP, PNG or JPEG file`, { reason: 'unknown-image-format' });
}
