/**
 * Imported files of a model compiled in segments (`*_segment_K_of_N_edgetpu.tflite`) pair up into
 * one runnable model on Live, Kiosk and Benchmark. The worker read K, N and the set's name from
 * each file name (LocalFile.segment) and checks the set again, tensors included, when it loads it.
 */
import type { LocalFile } from '../../worker/accelerator-api.ts';

/**
 * Imported segment files that make a whole set: every K of the same N under the same name (the
 * worker read K and N from the names). A set with a segment missing stays as separate files.
 */
export function segmentSets(
  files: readonly LocalFile[],
): { name: string; segments: { name: string; sha256: string }[] }[] {
  const groups = new Map<string, LocalFile[]>();
  for (const f of files) {
    if (f.source !== 'import' || !f.segment) continue;
    const key = `${f.segment.set}|${f.segment.count}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()]
    .filter((group) => {
      const count = group[0]!.segment!.count;
      const indices = new Set(group.map((f) => f.segment!.index));
      return group.length === count && [...Array(count).keys()].every((k) => indices.has(k));
    })
    .map((group) => ({
      name: group[0]!.segment!.set,
      segments: [...group]
        .sort((a, b) => a.segment!.index - b.segment!.index)
        .map((f) => ({ name: f.name, sha256: f.sha256 })),
    }));
}
