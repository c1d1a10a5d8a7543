/**
 * What a stored sample may be: a raster image in a format every browser decodes, recognised by its
 * first bytes (never by the name or MIME type it arrived with). A sample that is really HTML or SVG
 * would run in Reef's origin when opened, so the store refuses it and keeps the type it detected.
 */
import { ReefError } from '../errors.ts';
import { IMAGE_MIME_TYPES, IMAGE_SIGNATURE_BYTES, imageFormat } from '../image-format.ts';

/** The raster types a sample may have; SVG is absent on purpose (it can carry script). */
export const SAMPLE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/webp'] as const;
export type SampleImageType = (typeof SAMPLE_IMAGE_TYPES)[number];

/** The image type the bytes start with, or undefined when they are not one Reef stores. */
export function sniffImageType(bytes: Uint8Array): SampleImageType | undefined {
  const format = imageFormat(bytes);
  return format && IMAGE_MIME_TYPES[format];
}

/** The blob's detected image type, or undefined when it is not an image Reef stores. */
export async function sampleImageType(blob: Blob): Promise<SampleImageType | undefined> {
  return sniffImageType(new Uint8Array(await blob.slice(0, IMAGE_SIGNATURE_BYTES).arrayBuffer()));
}

/** The blob under its detected type (the bytes are shared, not copied); refuses anything else. */
export function asSampleImage(blob: Blob, type: SampleImageType | undefined, what: string): Blob {
  if (!type)
    throw new ReefError('INVALID_ARGUMENT', `${what} is not a PNG, JPEG, GIF, BMP or WebP image`, {
      reason: 'not-an-image',
    });
  return blob.type === type ? blob : new Blob([blob], { type });
}

/**
 * The MIME type to show a stored sample under: its own when it is a raster image type, else PNG,
 * so a blob URL of a sample is always an image to the browser and never a document.
 */
export function displayImageType(type: string): SampleImageType {
  return (SAMPLE_IMAGE_TYPES as readonly string[]).includes(type) ? (type as SampleImageType) : 'image/png';
}
