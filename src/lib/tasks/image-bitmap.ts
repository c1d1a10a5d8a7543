/**
 * The browser's image decoding (page and workers) with Reef's limit: the header is read first and
 * an image above MAX_IMAGE_PIXELS is refused with a typed error before createImageBitmap decodes
 * it (a 389 KB PNG can otherwise take gigabytes).
 */
import { readImageBlobHeader } from './image-header.ts';

export async function openImageBitmap(blob: Blob, name = 'image', options?: ImageBitmapOptions): Promise<ImageBitmap> {
  await readImageBlobHeader(blob, name);
  return options ? createImageBitmap(blob, options) : createImageBitmap(blob);
}
