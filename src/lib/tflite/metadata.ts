import { CheckedByteBuffer } from './checked-buffer.ts';
import { guardParse } from './errors.ts';
import { AssociatedFileType } from './generated/metadata/tflite-metadata/associated-file-type.ts';
import type { AssociatedFile as AssociatedFileTable } from './generated/metadata/tflite-metadata/associated-file.ts';
import { ModelMetadata as ModelMetadataTable } from './generated/metadata/tflite-metadata/model-metadata.ts';
import { NormalizationOptions } from './generated/metadata/tflite-metadata/normalization-options.ts';
import { ProcessUnitOptions } from './generated/metadata/tflite-metadata/process-unit-options.ts';
import type { TensorMetadata as TensorMetadataTable } from './generated/metadata/tflite-metadata/tensor-metadata.ts';
import { ValueRange } from './generated/metadata/tflite-metadata/value-range.ts';
import type { AssociatedFile, ModelMetadata, Normalization, TensorMetadata } from './types.ts';

export const METADATA_NAME = 'TFLITE_METADATA';

const FILE_TYPE_NAMES = new Map<number, string>(Object.entries(AssociatedFileType).map(([k, v]) => [v, k]));

function str(value: string | Uint8Array | null): string | null {
  return typeof value === 'string' ? value : null;
}

function readFiles(
  bb: CheckedByteBuffer,
  count: number,
  at: (index: number) => AssociatedFileTable | null,
): AssociatedFile[] {
  bb.charge(count);
  const files: AssociatedFile[] = [];
  for (let i = 0; i < count; i++) {
    const file = at(i);
    if (!file) continue;
    files.push({
      name: str(file.name()) ?? '',
      description: str(file.description()),
      type: FILE_TYPE_NAMES.get(file.type()) ?? 'UNKNOWN',
      locale: str(file.locale()),
    });
  }
  return files;
}

function readTensor(bb: CheckedByteBuffer, tensor: TensorMetadataTable): TensorMetadata {
  let normalization: Normalization | null = null;
  const units = tensor.processUnitsLength();
  bb.charge(units);
  for (let i = 0; i < units; i++) {
    const unit = tensor.processUnits(i);
    if (!unit || unit.optionsType() !== ProcessUnitOptions.NormalizationOptions) continue;
    const options = unit.options(new NormalizationOptions()) as NormalizationOptions | null;
    if (!options) continue;
    const mean: number[] = [];
    const std: number[] = [];
    bb.charge(options.meanLength() + options.stdLength());
    for (let j = 0; j < options.meanLength(); j++) mean.push(options.mean(j) ?? 0);
    for (let j = 0; j < options.stdLength(); j++) std.push(options.std(j) ?? 1);
    normalization = { mean, std };
  }
  let range: TensorMetadata['range'] = null;
  const content = tensor.content();
  const valueRange: ValueRange | null = content ? content.range() : null;
  if (valueRange) range = { min: valueRange.min(), max: valueRange.max() };
  return {
    name: str(tensor.name()),
    description: str(tensor.description()),
    normalization,
    range,
    associatedFiles: readFiles(bb, tensor.associatedFilesLength(), (i) => tensor.associatedFiles(i)),
  };
}

/** Decodes a TFLITE_METADATA buffer (M001 flatbuffer). Throws a ReefError on damaged bytes. */
export function readModelMetadata(bytes: Uint8Array): ModelMetadata {
  return guardParse('TFLite metadata', () => {
    const bb = new CheckedByteBuffer(bytes, 'TFLite metadata');
    const root = ModelMetadataTable.getRootAsModelMetadata(bb);
    const inputs: TensorMetadata[] = [];
    const outputs: TensorMetadata[] = [];
    const subgraphs = root.subgraphMetadataLength();
    bb.charge(subgraphs);
    const first = subgraphs > 0 ? root.subgraphMetadata(0) : null;
    const associatedFiles = readFiles(bb, root.associatedFilesLength(), (i) => root.associatedFiles(i));
    if (first) {
      bb.charge(first.inputTensorMetadataLength() + first.outputTensorMetadataLength());
      for (let i = 0; i < first.inputTensorMetadataLength(); i++) {
        const t = first.inputTensorMetadata(i);
        if (t) inputs.push(readTensor(bb, t));
      }
      for (let i = 0; i < first.outputTensorMetadataLength(); i++) {
        const t = first.outputTensorMetadata(i);
        if (t) outputs.push(readTensor(bb, t));
      }
      associatedFiles.push(...readFiles(bb, first.associatedFilesLength(), (i) => first.associatedFiles(i)));
    }
    return {
      name: str(root.name()),
      description: str(root.description()),
      version: str(root.version()),
      author: str(root.author()),
      license: str(root.license()),
      minParserVersion: str(root.minParserVersion()),
      inputs,
      outputs,
      associatedFiles,
    };
  });
}

/** Name of the label file metadata points at: the first TENSOR_AXIS_LABELS file of an output. */
export function labelFileName(metadata: ModelMetadata): string | null {
  for (const tensor of metadata.outputs)
    for (const file of tensor.associatedFiles) if (file.type === 'TENSOR_AXIS_LABELS') return file.name;
  for (const file of metadata.associatedFiles) if (file.type === 'TENSOR_AXIS_LABELS') return file.name;
  return null;
}
