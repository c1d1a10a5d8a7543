/**
 * A label file stored beside a model pairs up by name: `x.tflite` / `x_edgetpu.tflite` ↔ `x_labels.txt`
 * or `x.txt` (what Reef's own exports and training from scratch write), so Live shows class names
 * without a second pick.
 */
export interface NamedFile {
  name: string;
  sha256: string;
  source: string;
}

/** For a model file name, the sha256 of the imported label file named after it, if any. */
export function labelFileBeside(files: readonly NamedFile[]): (modelName: string) => string | undefined {
  const labelFiles = new Map(
    files.filter((f) => f.source === 'import' && f.name.endsWith('.txt')).map((f) => [f.name, f.sha256] as const),
  );
  return (modelName) => {
    const stem = modelName.replace(/[_-]edgetpu\.tflite$|\.tflite$/, '');
    return labelFiles.get(`${stem}_labels.txt`) ?? labelFiles.get(`${stem}.txt`);
  };
}
