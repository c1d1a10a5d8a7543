/**
 * How the chip holds activations, from the device's side: it writes outputs in its tiled memory
 * order and works on offset-binary numbers. Written from libedgetpu's description of tiled output
 * layouts (api/layer_information.cc: per row, the x coordinates grouped into runs that share a tile,
 * each run walked with the padded z stride from its first element) and protocol §5.5/§5.8, not from
 * the driver's re-layout, so a driver that gathers a tile in the wrong place or forgets the signed
 * flip gets the wrong numbers back.
 */
import { EmulatorProtocolError } from './errors.ts';
import type { ModelLayer, TileLayout } from './executable-model.ts';

/** Bytes of the user tensor (all executions, no padding). */
export function actualBytes(layer: ModelLayer): number {
  return layer.yDim * layer.xDim * layer.zDim * layer.elementBytes * layer.executionCount;
}

/**
 * Signed types travel as offset binary: the most significant bit of every element is flipped,
 * i.e. XOR 0x80 on each element's last (little-endian high) byte (§5.5). Its own inverse.
 */
export function flipSignedElements(layer: ModelLayer, bytes: Uint8Array): void {
  if (!layer.signed) return;
  for (let msb = layer.elementBytes - 1; msb < bytes.length; msb += layer.elementBytes) bytes[msb]! ^= 0x80;
}

/** Element index of (y, x, z = 0) in the device buffer: tile start + row within the tile + column. */
function tileIndex(t: TileLayout, y: number, x: number): number {
  return (
    t.tileByteOffset[t.yTileId[y]! + t.xTileId[x]!]! + t.yLocalOffset[y]! * t.xLocalRowSize[x]! + t.xLocalByteOffset[x]!
  );
}

/** Lengths of the runs of consecutive x that live in the same tile column. */
function tileColumnRuns(t: TileLayout, xDim: number): number[] {
  const runs: number[] = [];
  let start = 0;
  for (let x = 1; x < xDim; x++) {
    if (t.xTileId[x] !== t.xTileId[x - 1]) {
      runs.push(x - start);
      start = x;
    }
  }
  runs.push(xDim - start);
  return runs;
}

function isTiled(layer: ModelLayer): layer is ModelLayer & { layout: TileLayout } {
  return layer.layout !== undefined && layer.layout.yTileId.length > 0 && (layer.xDim > 1 || layer.yDim > 1);
}

/**
 * What the chip writes for one output: the user tensor (y, x, z order) flipped if signed and
 * scattered into the tiles; bytes no element lands on hold junk, as the device writes its padding
 * too (§10 #2), so a driver that reads padding as data is caught.
 */
export function scatterOutput(layer: ModelLayer, user: Uint8Array): Uint8Array {
  if (layer.hasShapeInfo)
    throw new EmulatorProtocolError(`output ${layer.name}: batched slice layouts are not modelled by the emulator`);
  const device = new Uint8Array(layer.sizeBytes * layer.executionCount);
  for (let i = 0; i < device.length; i++) device[i] = (i * 29 + 0x5a) & 0xff;
  const data = user.slice();
  flipSignedElements(layer, data);
  const perExecution = actualBytes(layer) / layer.executionCount;
  if (!isTiled(layer)) {
    // One-dimensional (or untiled) output: each execution's elements, then its padding.
    for (let e = 0; e < layer.executionCount; e++)
      device.set(data.subarray(e * perExecution, (e + 1) * perExecution), e * layer.sizeBytes);
    return device;
  }
  if (layer.executionCount !== 1)
    throw new EmulatorProtocolError(`output ${layer.name}: tiled layout with several executions is not modelled`);
  const t = layer.layout;
  const dt = layer.elementBytes;
  const zBytes = layer.zDim * dt;
  const zStride =
    (layer.xDim > 1 ? tileIndex(t, 0, 1) - tileIndex(t, 0, 0) : tileIndex(t, 1, 0) - tileIndex(t, 0, 0)) * dt;
  const runs = tileColumnRuns(t, layer.xDim);
  let from = 0;
  for (let y = 0; y < layer.yDim; y++) {
    let x = 0;
    for (const run of runs) {
      let to = tileIndex(t, y, x) * dt;
      for (let k = 0; k < run; k++) {
        device.set(data.subarray(from, from + zBytes), to);
        from += zBytes;
        to += zStride;
      }
      x += run;
    }
  }
  return device;
}

/** The input buffer the host sent → the user tensor a CPU twin takes: padding dropped, flip undone. */
export function unpackInput(layer: ModelLayer, device: Uint8Array): Uint8Array {
  const perExecution = actualBytes(layer) / layer.executionCount;
  const user = new Uint8Array(actualBytes(layer));
  for (let e = 0; e < layer.executionCount; e++)
    user.set(device.subarray(e * layer.sizeBytes, e * layer.sizeBytes + perExecution), e * perExecution);
  flipSignedElements(layer, user);
  return user;
}
