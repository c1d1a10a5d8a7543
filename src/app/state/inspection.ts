/** What the Models page's inspector shows about one model file, as plain data from the worker. */
export interface InspectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  scale?: number;
  zeroPoint?: number;
}

export interface InspectedSegment {
  /** Where this run of operators executes. */
  placement: 'tpu' | 'cpu';
  ops: string[];
}

export interface Inspection {
  name: string;
  sizeBytes: number;
  inputs: InspectedTensor[];
  outputs: InspectedTensor[];
  segments: InspectedSegment[];
  edgetpu?: {
    minRuntimeVersion: number;
    compilerVersion: string;
    executables: number;
    parameterBytes: number;
    /** The Coral's on-chip parameter cache; parameters beyond it are streamed over USB each run. */
    cacheBytes: number;
  };
  labelCount: number;
  warnings: string[];
}

export const PARAMETER_CACHE_BYTES = 8 * 1024 * 1024;

export function formatShape(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}

/** Asks the worker to inspect a stored model (by sha256). */
export async function inspectStoredModel(sha256: string): Promise<Inspection> {
  void sha256;
  throw new Error('The model inspector is not available in this build yet.');
}
