/** A stored sample (an image Blob) decoded to RGBA pixels in a worker (createImageBitmap + OffscreenCanvas). */
import { ReefError } from '../lib/errors.ts';
import { openImageBitmap, type RgbaImage } from '../lib/tasks/index.ts';

export async function decodeSample(blob: Blob): Promise<RgbaImage> {
  const bitmap = await openImageBitmap(blob, 'a sample');
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new ReefError('UNAVAILABLE', 'no 2D canvas in this worker', { reason: 'no-canvas' });
    context.drawImage(bitmap, 0, 0);
    return {
      width: bitmap.width,
      height: bitmap.height,
      data: context.getImageData(0, 0, bitmap.width, bitmap.height).data,
    };
  } finally {
    bitmap.close();
  }
}
