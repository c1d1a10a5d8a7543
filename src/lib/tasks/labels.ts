/**
 * Label files: one label per line (index = class id), optional `id label` / `id: label` pairs,
 * CRLF tolerated, reading stops at the first blank line after labels (PASCAL's file has a note
 * after one). Also finds labels in the ZIP that Coral's metadata tools append after the flatbuffer.
 */
import { appendedZipFiles } from '../tflite/index.ts';

export type Labels = ReadonlyMap<number, string>;

const PAIR = /^(\d+)[\s:]+(.+)$/;

export function parseLabels(text: string): Labels {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const labels = new Map<number, string>();
  const firstLines = lines.filter((l) => l.trim() !== '').slice(0, 5);
  const paired = firstLines.length > 0 && firstLines.every((l) => PAIR.test(l.trim()));
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') {
      if (labels.size > 0) break;
      continue;
    }
    if (paired) {
      const m = PAIR.exec(line);
      if (m) labels.set(Number(m[1]), m[2]!.trim());
    } else {
      labels.set(i, line);
    }
  }
  return labels;
}

/** Labels as a list (index = class id); gaps in a paired `id label` file read `class N`. */
export function labelList(text: string): string[] {
  const labels = parseLabels(text);
  const size = Math.max(-1, ...labels.keys()) + 1;
  return Array.from({ length: size }, (_, i) => labels.get(i) ?? `class ${i}`);
}

/**
 * Labels for a classifier with `classes` outputs. ImageNet models have 1001 outputs where 0 is
 * "background"; a 1000-line file without it is shifted by one so ids stay output indices.
 */
export function alignLabels(labels: Labels, classes: number): Labels {
  if (labels.size === classes - 1 && !labels.has(classes - 1) && labels.has(0)) {
    const shifted = new Map<number, string>([[0, 'background']]);
    for (const [id, label] of labels) shifted.set(id + 1, label);
    return shifted;
  }
  return labels;
}

/**
 * Text files of a ZIP appended to a .tflite file (TFLite metadata's associated files), if any.
 * Read within the tflite layer's ZIP limits: a hostile archive (overlapping entries, sizes that
 * lie, end-record floods) gives no files rather than gigabytes.
 */
export function filesAppendedToModel(model: Uint8Array): Map<string, Uint8Array> {
  try {
    return new Map(Object.entries(appendedZipFiles(model)));
  } catch {
    return new Map();
  }
}

/** The first label file inside a model's appended ZIP. */
export function labelsFromModel(model: Uint8Array): Labels | undefined {
  for (const [name, bytes] of filesAppendedToModel(model)) {
    if (/label/i.test(name) && name.endsWith('.txt')) return parseLabels(new TextDecoder().decode(bytes));
  }
  return undefined;
}
