/**
 * Structural mutations for the model-reader fuzzer: where `mutations.ts` flips bytes, these change
 * what the bytes mean — offsets repointed so many tables share one string or table (aliasing),
 * sizes that lie (shapes, vector lengths, buffer indices, Edge TPU executable sizes), and ZIPs
 * appended after the flatbuffer (overlap and size-lie bombs, EOCD floods, damaged archives).
 * Shared by the unit test (a few hundred variants) and `npm run fuzz -- --structure` (100,000).
 */
import { ByteBuffer } from 'flatbuffers';
import { boundInspection } from '../../../src/cli/commands/inspect.ts';
import { findEdgeTpuOps, inspectReadModel } from '../../../src/lib/edgetpu/executable/index.ts';
import { ReefError } from '../../../src/lib/errors.ts';
import { checkTensorSizes } from '../../../src/lib/runtime/tensor-limits.ts';
import { readModel, writeModel } from '../../../src/lib/tflite/index.ts';
import { aliasedModel, noInputsModel, patchExecutable, type ExecutableLie } from '../../support/hostile-models.ts';
import { eocdFlood, overlapBomb, rawZip, sizeLieBomb, storedMember } from '../../support/hostile-zip.ts';

/** Where the structure of one valid model lives: absolute byte positions of fields and vectors. */
export interface Sites {
  /** uoffset fields of tensor names. */
  names: number[];
  /** Elements of tensor vectors (each a uoffset to a tensor table). */
  tensorEntries: number[];
  /** Length prefixes of vectors (shapes, op inputs/outputs, subgraph inputs, buffers' data). */
  vectorLengths: number[];
  /** int32 index fields and elements: op inputs/outputs, subgraph inputs/outputs, tensor.buffer, opcode_index. */
  indices: number[];
  /** Shape elements (int32 dims). */
  dims: number[];
  /** Length prefix of the largest vector in the file (a buffer's data, usually). */
  largest: number;
}

export interface StructuralTarget {
  name: string;
  bytes: Uint8Array;
  sites: Sites;
  compiled: boolean;
}

// Vtable offsets of the TFLite schema fields used below (field id n → 4 + 2n).
const MODEL_SUBGRAPHS = 8;
const MODEL_BUFFERS = 12;
const SUBGRAPH_TENSORS = 4;
const SUBGRAPH_INPUTS = 6;
const SUBGRAPH_OUTPUTS = 8;
const SUBGRAPH_OPERATORS = 10;
const TENSOR_SHAPE = 4;
const TENSOR_BUFFER = 8;
const TENSOR_NAME = 10;
const OPERATOR_OPCODE = 4;
const OPERATOR_INPUTS = 6;
const OPERATOR_OUTPUTS = 8;
const BUFFER_DATA = 4;

/** Bounds the sites collected per kind, so large models stay cheap to describe. */
const MAX_SITES = 4000;

function collectSites(bytes: Uint8Array): Sites {
  const bb = new ByteBuffer(bytes);
  const sites: Sites = { names: [], tensorEntries: [], vectorLengths: [], indices: [], dims: [], largest: 0 };
  let largestLength = -1;
  const field = (table: number, offset: number) => {
    const f = bb.__offset(table, offset);
    return f ? table + f : 0;
  };
  const vector = (table: number, offset: number): { length: number; start: number } | null => {
    const f = field(table, offset);
    if (!f) return null;
    const start = f + bb.readInt32(f);
    const length = bb.readInt32(start);
    if (sites.vectorLengths.length < MAX_SITES) sites.vectorLengths.push(start);
    if (length > largestLength) {
      largestLength = length;
      sites.largest = start;
    }
    return { length, start: start + 4 };
  };
  const tables = (v: { length: number; start: number } | null) => {
    const out: number[] = [];
    if (!v) return out;
    for (let i = 0; i < v.length && i < MAX_SITES; i++) out.push(v.start + 4 * i + bb.readInt32(v.start + 4 * i));
    return out;
  };
  const ints = (v: { length: number; start: number } | null, into: number[]) => {
    if (!v) return;
    for (let i = 0; i < v.length && into.length < MAX_SITES; i++) into.push(v.start + 4 * i);
  };
  const root = bb.readInt32(0);
  for (const buffer of tables(vector(root, MODEL_BUFFERS)).slice(0, 200)) vector(buffer, BUFFER_DATA);
  for (const subgraph of tables(vector(root, MODEL_SUBGRAPHS))) {
    const tensorVector = vector(subgraph, SUBGRAPH_TENSORS);
    if (tensorVector)
      for (let i = 0; i < tensorVector.length && i < MAX_SITES; i++)
        sites.tensorEntries.push(tensorVector.start + 4 * i);
    for (const tensor of tables(tensorVector)) {
      const name = field(tensor, TENSOR_NAME);
      if (name) sites.names.push(name);
      const buffer = field(tensor, TENSOR_BUFFER);
      if (buffer) sites.indices.push(buffer);
      ints(vector(tensor, TENSOR_SHAPE), sites.dims);
    }
    ints(vector(subgraph, SUBGRAPH_INPUTS), sites.indices);
    ints(vector(subgraph, SUBGRAPH_OUTPUTS), sites.indices);
    for (const op of tables(vector(subgraph, SUBGRAPH_OPERATORS))) {
      const opcode = field(op, OPERATOR_OPCODE);
      if (opcode) sites.indices.push(opcode);
      ints(vector(op, OPERATOR_INPUTS), sites.indices);
      ints(vector(op, OPERATOR_OUTPUTS), sites.indices);
    }
  }
  return sites;
}

export function makeStructuralTarget(name: string, bytes: Uint8Array): StructuralTarget {
  return { name, bytes, sites: collectSites(bytes), compiled: findEdgeTpuOps(readModel(bytes)).length > 0 };
}

export type StructuralKind =
  | 'alias-names'
  | 'alias-tensors'
  | 'alias-indices'
  | 'alias-generated'
  | 'lie-shape'
  | 'lie-vector-length'
  | 'lie-buffer-index'
  | 'lie-executable'
  | 'appended-zip';

export const STRUCTURAL_KINDS: readonly StructuralKind[] = [
  'alias-names',
  'alias-tensors',
  'alias-indices',
  'alias-generated',
  'lie-shape',
  'lie-vector-length',
  'lie-buffer-index',
  'lie-executable',
  'appended-zip',
];

export interface StructuralVariant {
  kind: StructuralKind;
  bytes: Uint8Array;
  restore(): void;
}

const LIES = [-1, -262_144, 0, 1, 0x7fffffff, 0x7ffffff0, -0x80000000, 20_000, 65_536, 1 << 20, 1 << 28];

/** ZIPs to append, built once: each is small, what it claims is large. */
let zipPool: Uint8Array[] | undefined;
function zips(): Uint8Array[] {
  zipPool ??= [
    overlapBomb(60, 60),
    overlapBomb(1, 60),
    overlapBomb(4, 3, 1),
    sizeLieBomb(1024, 256),
    sizeLieBomb(0, 8),
    eocdFlood(),
    rawZip([storedMember('labels.txt', new TextEncoder().encode('a\nb\nc\n'))]),
    rawZip(Array.from({ length: 300 }, (_, i) => storedMember(`l${i}.txt`, new Uint8Array([97, 10])))),
  ];
  return zipPool;
}

let tinyModel: Uint8Array | undefined;

/** One structural mutation of `target` (in place, undone by `restore`), or a freshly built input. */
export function mutateStructure(
  target: StructuralTarget,
  random: () => number,
  kind?: StructuralKind,
): StructuralVariant {
  const chosen = kind ?? STRUCTURAL_KINDS[Math.floor(random() * STRUCTURAL_KINDS.length)]!;
  const bytes = target.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const saved: [number, number][] = [];
  const set32 = (at: number, value: number) => {
    if (at < 0 || at + 4 > bytes.length) return;
    for (let i = 0; i < 4; i++) saved.push([at + i, bytes[at + i]!]);
    view.setInt32(at, value, true);
  };
  const pick = <T>(list: readonly T[]): T | undefined =>
    list.length ? list[Math.floor(random() * list.length)] : undefined;
  const some = (list: readonly number[]) => {
    const all = random() < 0.3;
    return all ? list : list.filter(() => random() < 0.2);
  };
  const lie = () => (random() < 0.7 ? pick(LIES)! : Math.floor(random() * 2 ** 32) | 0);
  const inPlace = (): StructuralVariant => ({
    kind: chosen,
    bytes,
    restore: () => {
      for (let i = saved.length - 1; i >= 0; i--) bytes[saved[i]![0]] = saved[i]![1];
    },
  });
  const fresh = (made: Uint8Array): StructuralVariant => ({ kind: chosen, bytes: made, restore: () => {} });
  const { sites } = target;
  switch (chosen) {
    case 'alias-names': {
      // Every chosen name now points at the largest vector, read as a string.
      for (const at of some(sites.names)) set32(at, sites.largest - at);
      return inPlace();
    }
    case 'alias-tensors': {
      const first = pick(sites.tensorEntries);
      if (first === undefined) return inPlace();
      const table = first + view.getInt32(first, true);
      for (const at of some(sites.tensorEntries)) set32(at, table - at);
      return inPlace();
    }
    case 'alias-indices': {
      const value = random() < 0.5 ? 0 : lie();
      for (const at of some(sites.indices)) set32(at, value);
      return inPlace();
    }
    case 'alias-generated': {
      const via = random() < 0.5 ? 'tensors' : 'opcodes';
      return fresh(
        aliasedModel({
          copies: 1 + Math.floor(random() * 40_000),
          nameBytes: 1 + Math.floor(random() * 65_536),
          inputs: 1 + Math.floor(random() * 120_000),
          via,
        }),
      );
    }
    case 'lie-shape': {
      for (const at of some(sites.dims)) set32(at, lie());
      return inPlace();
    }
    case 'lie-vector-length': {
      const at = pick(sites.vectorLengths);
      if (at !== undefined) set32(at, lie());
      return inPlace();
    }
    case 'lie-buffer-index': {
      for (const at of some(sites.indices)) set32(at, Math.floor(random() * 8));
      return inPlace();
    }
    case 'lie-executable': {
      if (!target.compiled) return mutateStructure(target, random, 'lie-shape');
      const lies: ExecutableLie[] = ['hint-size', 'layer-size', 'x-dim'];
      try {
        return fresh(patchExecutable(bytes, pick(lies)!, lie()));
      } catch {
        // The executable lacks that field (e.g. no DMA hint with a size): lie about shapes instead.
        return mutateStructure(target, random, 'lie-shape');
      }
    }
    case 'appended-zip': {
      tinyModel ??= noInputsModel();
      const base = random() < 0.5 ? tinyModel : bytes;
      const zip = pick(zips())!.slice();
      // Sometimes damage the archive too: its directory and headers are where the checks are.
      const flips = random() < 0.5 ? 0 : 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) {
        const at =
          random() < 0.5
            ? zip.length - 1 - Math.floor(random() * Math.min(zip.length, 400))
            : Math.floor(random() * Math.min(zip.length, 64));
        zip[at] = Math.floor(random() * 256);
      }
      const out = new Uint8Array(base.length + zip.length);
      out.set(base);
      out.set(zip, base.length);
      return fresh(out);
    }
  }
}

/**
 * Parses like an engine and the CLI would: model, Edge TPU packages, tensor-size checks done at
 * load, the bounded inspect report as JSON, and a write → read round trip for small models.
 * Returns 'ok' or the ReefError reason; any other exception propagates.
 */
export function exerciseStructure(bytes: Uint8Array): 'ok' | string {
  try {
    const model = readModel(bytes);
    findEdgeTpuOps(model);
    const report = JSON.stringify(boundInspection(inspectReadModel(model, bytes.length)));
    if (report.length > 16 * 1024 * 1024) throw new Error(`inspect report of ${report.length} characters`);
    checkTensorSizes(model);
    if (bytes.length < 200_000) readModel(writeModel(model));
    return 'ok';
  } catch (error) {
    if (error instanceof ReefError && error.reason) return error.reason;
    throw error;
  }
}
