/**
 * What an imported file is, decided from its bytes before it is stored: a TFLite model or a label
 * file. Anything else (a photo, a note, a model cut short) is refused with the reason, so a bad
 * file never shows up later as a model that fails, or as labels that name results wrongly.
 */
import { ReefError } from '../errors.ts';
import { readModel } from '../tflite/index.ts';

export type ImportKind = 'model' | 'labels';

const IMAGE_MAGIC: readonly { kind: string; bytes: readonly number[]; at?: number }[] = [
  { kind: 'BMP', bytes: [0x42, 0x4d] },
  { kind: 'PNG', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { kind: 'JPEG', bytes: [0xff, 0xd8, 0xff] },
  { kind: 'GIF', bytes: [0x47, 0x49, 0x46, 0x38] },
  { kind: 'WebP', bytes: [0x57, 0x45, 0x42, 0x50], at: 8 },
];

/** BMP, PNG, JPEG, GIF or WebP by its first bytes; undefined for anything else. */
export function imageKind(bytes: Uint8Array): string | undefined {
  return IMAGE_MAGIC.find((m) => m.bytes.every((b, i) => bytes[(m.at ?? 0) + i] === b))?.kind;
}

function hasTfliteIdentifier(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(4, 8)) === 'TFL3';
}

function labelLines(bytes: Uint8Array): string[] | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.split(/\r?\n/).filter((line) => line.trim() !== '');
  } catch {
    return undefined;
  }
}

/** The kind of an imported file, or a typed refusal saying why it is neither kind. */
export function checkImport(name: string, bytes: Uint8Array): ImportKind {
  const lower = name.toLowerCase();
  const image = imageKind(bytes);
  if (image)
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${name} is a ${image} image, not a model or a label file: run a model on it on the Live page`,
      { reason: 'image-not-model' },
    );
  if (hasTfliteIdentifier(bytes)) {
    try {
      readModel(bytes);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ReefError('INVALID_ARGUMENT', `${name} is a damaged TFLite model (${why})`, {
        reason: 'not-a-model',
        cause: error,
      });
    }
    return 'model';
  }
  if (lower.endsWith('.tflite'))
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${name} is not a TFLite model: it does not start like one (${labelLines(bytes) ? 'it is text' : 'unknown content'}, ${bytes.length} bytes)`,
      { reason: 'not-a-model' },
    );
  if (lower.endsWith('.txt') || lower.endsWith('.labels')) {
    // One line is a note, not labels: a classifier tells at least two classes apart.
    const lines = labelLines(bytes);
    if (lines && lines.length >= 2) return 'labels';
    throw new ReefError(
      'INVALID_ARGUMENT',
      `${name} is not a label file: ${lines ? `${lines.length} line${lines.length === 1 ? '' : 's'} of text, and labels need one line per class (at least two)` : 'it is not text'}`,
      { reason: 'not-a-label-file' },
    );
  }
  throw new ReefError(
    'INVALID_ARGUMENT',
    `${name} is neither a TFLite model (.tflite) nor a label file (.txt, one label per line)`,
    { reason: 'unknown-file-kind' },
  );
}
