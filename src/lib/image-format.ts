/**
 * Which image format a file is, from its first bytes (never from its name or MIME type). One
 * answer for every area: the header check before decoding (tasks) and what a stored sample may be
 * (store) must agree on what a PNG or a JPEG is.
 */

export type ImageFormat = 'bmp' | 'png' | 'jpeg' | 'gif' | 'webp';

/** Bytes from the start of a file that decide its format. */
export const IMAGE_SIGNATURE_BYTES = 12;

export const IMAGE_MIME_TYPES = {
  bmp: 'image/bmp',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
} as const satisfies Record<ImageFormat, string>;

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  return bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The format the first bytes show, or undefined. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0x42, 0x4d])) return 'bmp';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  // SOI and the first segment's marker: FF D8 alone is too weak a sign.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ascii('GIF8'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  return undefined;
}
