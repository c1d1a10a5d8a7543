/**
 * A program made ready to stream, once at load time: every buffer gets a stable 4 KiB-aligned
 * address, instruction chunks are relocated with those addresses (protocol §5.6) and framed with
 * their bulk header (§4.3), inputs get framed staging buffers so a run copies each input once.
 */
import { ReefError } from '../../errors.ts';
import { packInput } from './relayout.ts';
import { HEADER_BYTES, TAG, encodeHeader } from '../usb/framing.ts';
import {
  MAX_RUNTIME_VERSION,
  actualBytes,
  bufferKey,
  paddedBytes,
  type FieldOffset,
  type ProgramExecutable,
  type ProgramLayer,
  type TpuProgram,
} from '../program/tpu-program.ts';

/** One host→device item: header + payload in one buffer, or a big payload streamed in pieces. */
/** Where a DMA lands on the device, as it reports it in descriptor mode (§4.6): tag, address, length. */
export interface DmaReport {
  tag: number;
  address: bigint;
  length: number;
}

export type OutStep =
  | { kind: 'framed'; bytes: Uint8Array; what: string; report?: DmaReport }
  | { kind: 'stream'; header: Uint8Array; payload: Uint8Array; what: string; report?: DmaReport };

export type PreparedStep =
  | OutStep
  | {
      kind: 'input';
      layer: number;
      staging: Uint8Array;
      offset: number;
      whole: boolean;
      what: string;
      report: DmaReport;
    }
  | { kind: 'output'; layer: number; offset: number; size: number; what: string; report: DmaReport }
  | { kind: 'scratch-in'; offset: number; size: number; what: string; report: DmaReport }
  | { kind: 'scratch-out'; offset: number; size: number; what: string; report: DmaReport }
  | { kind: 'interrupt'; tag: number; what: string };

export interface PreparedExecutable {
  exe: ProgramExecutable;
  /** Buffer addresses patched into the instructions, to serve the device's own requests (§4.10). */
  addresses: AddressMap;
  steps: PreparedStep[];
  /** Device buffers per output layer (padded), reused by every run. */
  outputBuffers: Uint8Array[];
  /** Device buffers per input layer when a layer is sent in several slices. */
  inputBuffers: (Uint8Array | undefined)[];
  scratch: Uint8Array | undefined;
}

/** Payloads up to this size are copied behind their header and sent as one transfer. */
const GLUE_LIMIT_BYTES = 64 * 1024;

/** Writes a 32-bit value LSB first at an absolute bit offset, leaving other bits alone (§5.6). */
export function writeBits32(bytes: Uint8Array, offsetBit: number, value: number): void {
  for (let i = 0; i < 32; i++) {
    const bit = offsetBit + i;
    const byte = bit >> 3;
    if (byte >= bytes.length) {
      throw new ReefError(
        'INVALID_ARGUMENT',
        `relocation at bit ${offsetBit} runs past the ${bytes.length}-byte chunk`,
        {
          reason: 'bad-field-offset',
        },
      );
    }
    const mask = 1 << (bit & 7);
    if ((value >>> i) & 1) bytes[byte]! |= mask;
    else bytes[byte]! &= ~mask;
  }
}

/** Stable, distinct, 4 KiB-aligned addresses per buffer of one loaded model (§5.6 recommendation). */
export class AddressMap {
  readonly #base: bigint;
  readonly #slots = new Map<string, bigint>();

  constructor(modelSlot: number) {
    this.#base = BigInt(modelSlot + 1) << 40n;
  }

  /** The buffer key and byte offset an address the device reports falls in (§4.10), if any. */
  resolve(address: bigint): { key: string; offset: number } | undefined {
    const slot = (address - this.#base) >> 32n;
    for (const [key, base] of this.#slots) {
      if ((base - this.#base) >> 32n === slot && address >= base) return { key, offset: Number(address - base) };
    }
    return undefined;
  }

  addressOf(f: Pick<FieldOffset, 'buffer' | 'name' | 'batch'>): bigint {
    const key = bufferKey(f.buffer, f.name, f.batch);
    let address = this.#slots.get(key);
    if (address === undefined) {
      address = this.#base + (BigInt(this.#slots.size) << 32n);
      this.#slots.set(key, address);
    }
    return address;
  }
}

function frame(tag: 0 | 1 | 2, payload: Uint8Array, what: string): OutStep {
  if (payload.length <= GLUE_LIMIT_BYTES) {
    const bytes = new Uint8Array(HEADER_BYTES + payload.length);
    encodeHeader(payload.length, tag, bytes);
    bytes.set(payload, HEADER_BYTES);
    return { kind: 'framed', bytes, what };
  }
  return { kind: 'stream', header: encodeHeader(payload.length, tag), payload, what };
}

export function prepareExecutable(exe: ProgramExecutable, addresses: AddressMap): PreparedExecutable {
  const patched = exe.chunks.map((chunk) => {
    const bytes = chunk.bitstream.slice();
    for (const f of chunk.fieldOffsets) {
      if (f.buffer === 'parameter' && exe.parameters.length === 0) continue; // §5.6: no buffer, no patch
      if (f.buffer === 'scratch' && exe.scratchSizeBytes === 0) continue;
      const address = addresses.addressOf(f);
      writeBits32(bytes, f.offsetBit, Number(f.position === 0 ? address & 0xffffffffn : address >> 32n));
    }
    return bytes;
  });
  const inputIndex = new Map(exe.inputLayers.map((l, i) => [l.name, i]));
  const outputIndex = new Map(exe.outputLayers.map((l, i) => [l.name, i]));
  const inputHints = new Map<number, number>();
  for (const h of exe.hints) {
    if (h.kind === 'dma' && h.buffer === 'input') {
      const i = inputIndex.get(h.name);
      if (i !== undefined) inputHints.set(i, (inputHints.get(i) ?? 0) + 1);
    }
  }
  const inputBuffers = exe.inputLayers.map((layer, i) =>
    (inputHints.get(i) ?? 0) > 1 ? new Uint8Array(paddedBytes(layer)) : undefined,
  );
  const steps: PreparedStep[] = exe.hints.map((hint, n): PreparedStep => {
    switch (hint.kind) {
      case 'instruction': {
        const bytes = patched[hint.chunk];
        if (!bytes) {
          throw new ReefError(
            'INVALID_ARGUMENT',
            `hint ${n} names instruction chunk ${hint.chunk}, the executable has ${patched.length}`,
            {
              reason: 'bad-hint',
            },
          );
        }
        return frame(TAG.instructions, bytes, `instruction chunk ${hint.chunk}`);
      }
      case 'interrupt':
        return {
          kind: 'interrupt',
          tag: TAG.scalarCoreInterrupt0 + hint.type,
          what: `completion event (interrupt ${hint.type})`,
        };
      case 'fence':
        // Requests run one hint at a time, so everything before a fence has completed already.
        return { kind: 'interrupt', tag: -1, what: 'fence' };
      case 'dma': {
        if (hint.batch !== 0) {
          throw new ReefError('UNIMPLEMENTED', 'batched Edge TPU executables (batch_size > 1) are not supported yet', {
            reason: 'batched-executable',
          });
        }
        const what = `${hint.buffer} ${hint.name || ''} [${hint.offset}, +${hint.size})`.replace('  ', ' ');
        const at = addresses.addressOf(hint) + BigInt(hint.offset);
        const tag =
          hint.direction === 'outfeed'
            ? TAG.outputActivations
            : hint.buffer === 'parameter'
              ? TAG.parameters
              : TAG.inputActivations;
        const report: DmaReport = { tag, address: at, length: hint.size };
        if (hint.buffer === 'parameter') {
          if (hint.direction !== 'infeed' || hint.offset + hint.size > exe.parameters.length) {
            throw new ReefError(
              'INVALID_ARGUMENT',
              `parameter hint ${n} is outside the ${exe.parameters.length}-byte parameters`,
              {
                reason: 'bad-hint',
              },
            );
          }
          return {
            ...frame(TAG.parameters, exe.parameters.subarray(hint.offset, hint.offset + hint.size), what),
            report,
          };
        }
        if (hint.buffer === 'scratch') {
          return hint.direction === 'infeed'
            ? { kind: 'scratch-in', offset: hint.offset, size: hint.size, what, report }
            : { kind: 'scratch-out', offset: hint.offset, size: hint.size, what, report };
        }
        if (hint.buffer === 'input') {
          const layer = inputIndex.get(hint.name);
          if (layer === undefined || hint.direction !== 'infeed') {
            throw new ReefError('INVALID_ARGUMENT', `hint ${n} names unknown input layer "${hint.name}"`, {
              reason: 'bad-hint',
            });
          }
          const staging = new Uint8Array(HEADER_BYTES + hint.size);
          encodeHeader(hint.size, TAG.inputActivations, staging);
          const whole = hint.offset === 0 && hint.size === paddedBytes(exe.inputLayers[layer]!) && !inputBuffers[layer];
          return { kind: 'input', layer, staging, offset: hint.offset, whole, what, report };
        }
        const layer = outputIndex.get(hint.name);
        if (layer === undefined || hint.direction !== 'outfeed') {
          throw new ReefError('INVALID_ARGUMENT', `hint ${n} names unknown output layer "${hint.name}"`, {
            reason: 'bad-hint',
          });
        }
        return { kind: 'output', layer, offset: hint.offset, size: hint.size, what: `output ${hint.name}`, report };
      }
    }
  });
  return {
    exe,
    addresses,
    steps,
    outputBuffers: exe.outputLayers.map((l) => new Uint8Array(paddedBytes(l))),
    inputBuffers,
    scratch: exe.scratchSizeBytes > 0 ? new Uint8Array(exe.scratchSizeBytes) : undefined,
  };
}

/** Checks a program can run on this driver at all (protocol §4.10, §5.3, §5.4). */
export function checkProgram(program: TpuProgram): void {
  if (program.minRuntimeVersion > MAX_RUNTIME_VERSION) {
    throw new ReefError(
      'FAILED_PRECONDITION',
      `the model needs Edge TPU runtime version ${program.minRuntimeVersion}; this driver implements ${MAX_RUNTIME_VERSION}`,
      { reason: 'runtime-version-unsupported' },
    );
  }
  for (const exe of [program.main, program.parameterCaching]) {
    if (!exe) continue;
    if (!exe.fullyDeterministic && exe.kind === 'parameter-caching') {
      // The PC run is replayed from hints alone; only the main executable may hand over to the device (§4.10).
      throw new ReefError('UNIMPLEMENTED', 'a parameter-caching executable without fully deterministic hints', {
        reason: 'non-deterministic-hints',
      });
    }
    if (exe.batchSize > 1) {
      throw new ReefError('UNIMPLEMENTED', `native batch size ${exe.batchSize} is not supported yet`, {
        reason: 'batched-executable',
      });
    }
  }
  if (program.parameterCaching && program.parameterCaching.token === '0') {
    throw new ReefError('INVALID_ARGUMENT', 'the parameter-caching executable has caching token 0', {
      reason: 'bad-token',
    });
  }
}

/** Validates one user input against its layer: actual or padded size (protocol §5.5). */
export function checkInput(layer: ProgramLayer, bytes: Uint8Array, index: number): void {
  if (bytes.length !== actualBytes(layer) && bytes.length !== paddedBytes(layer)) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      `input ${index} (${layer.name}) has ${bytes.length} bytes; the layer takes ${actualBytes(layer)} (or ${paddedBytes(layer)} padded)`,
      { reason: 'bad-input-size' },
    );
  }
}

/** Fills the framed staging buffers of every input step from the user's inputs. */
export function stageInputs(prepared: PreparedExecutable, inputs: readonly Uint8Array[]): void {
  const exe = prepared.exe;
  prepared.inputBuffers.forEach((buffer, i) => {
    if (buffer) packInput(exe.inputLayers[i]!, inputs[i]!, buffer);
  });
  let packed: Map<number, Uint8Array> | undefined;
  for (const step of prepared.steps) {
    if (step.kind !== 'input') continue;
    const layer = exe.inputLayers[step.layer]!;
    const payload = step.staging.subarray(HEADER_BYTES);
    if (step.whole) {
      packInput(layer, inputs[step.layer]!, payload);
      continue;
    }
    let device = prepared.inputBuffers[step.layer];
    if (!device) {
      packed ??= new Map();
      device = packed.get(step.layer);
      if (!device) {
        device = packInput(layer, inputs[step.layer]!);
        packed.set(step.layer, device);
      }
    }
    // §4.4: a slice may reach past the tensor's end (padding): zeros there.
    const end = Math.min(step.offset + payload.length, device.length);
    payload.fill(0);
    if (end > step.offset) payload.set(device.subarray(step.offset, end));
  }
}
