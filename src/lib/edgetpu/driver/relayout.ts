/**
 * From the device's output buffer to the user's tensor and back (protocol §5.5, §5.8): tiled
 * layouts are gathered element row by element row, iterative layers lose their per-iteration
 * padding, signed types get their offset-binary bit flipped. (The device's direction, scattering
 * into tiles, is the virtual Coral's own code in tests/emulator, so the two check each other.)
 */
import { actualBytes, type ProgramLayer } from '../program/tpu-program.ts';

function tiledOffset(layer: ProgramLayer, y: number, x: number): number {
  const t = layer.layout!;
  const tile = t.tileByteOffset[t.yTile[y]! + t.xTile[x]!]!;
  return layer.elementBytes * (tile + t.yLocalOffset[y]! * t.xLocalRowSize[x]! + t.xLocalByteOffset[x]!);
}

function isTiled(layer: ProgramLayer): boolean {
  return layer.layout !== undefined && (layer.xDim > 1 || layer.yDim > 1) && layer.layout.yTile.length > 0;
}

/** Copies one execution's device bytes into user order. */
function gatherOne(layer: ProgramLayer, device: Uint8Array, user: Uint8Array): void {
  if (!isTiled(layer)) {
    user.set(device.subarray(0, user.length));
    return;
  }
  const row = layer.zDim * layer.elementBytes;
  let at = 0;
  for (let y = 0; y < layer.yDim; y++) {
    for (let x = 0; x < layer.xDim; x++) {
      const from = tiledOffset(layer, y, x);
      user.set(device.subarray(from, from + row), at);
      at += row;
    }
  }
}

/** XOR 0x80 on the most significant byte of each element of signed types (§5.5), in place. */
function flipSigned(layer: ProgramLayer, bytes: Uint8Array): void {
  if (layer.dataType === 'int8') {
    for (let i = 0; i < bytes.length; i++) bytes[i]! ^= 0x80;
  } else if (layer.dataType === 'int16') {
    for (let i = 1; i < bytes.length; i += 2) bytes[i]! ^= 0x80;
  }
}

export function isSigned(layer: ProgramLayer): boolean {
  return layer.dataType === 'int8' || layer.dataType === 'int16';
}

/** Device buffer (padded, `sizeBytes × executionCount`) → user tensor bytes (actual size). */
export function gatherOutput(
  layer: ProgramLayer,
  device: Uint8Array,
  user = new Uint8Array(actualBytes(layer)),
): Uint8Array {
  const per = actualBytes(layer) / layer.executionCount;
  for (let i = 0; i < layer.executionCount; i++) {
    gatherOne(
      layer,
      device.subarray(i * layer.sizeBytes, (i + 1) * layer.sizeBytes),
      user.subarray(i * per, (i + 1) * per),
    );
  }
  flipSigned(layer, user);
  return user;
}

/** User input bytes → the padded device buffer the host sends (zero tail, signed flip). */
export function packInput(layer: ProgramLayer, user: Uint8Array, into?: Uint8Array): Uint8Array {
  const device = into ?? new Uint8Array(layer.sizeBytes * layer.executionCount);
  const per = actualBytes(layer) / layer.executionCount;
  if (layer.executionCount === 1 || user.length === device.length) {
    const n = Math.min(user.length, device.length);
    device.set(n === user.length ? user : user.subarray(0, n));
    if (n < device.length) device.fill(0, n);
    if (isSigned(layer)) flipSigned(layer, device.subarray(0, n));
    return device;
  }
  device.fill(0);
  for (let i = 0; i < layer.executionCount; i++) {
    const part = device.subarray(i * layer.sizeBytes, i * layer.sizeBytes + per);
    part.set(user.subarray(i * per, (i + 1) * per));
    if (isSigned(layer)) flipSigned(layer, part);
  }
  return device;
}
