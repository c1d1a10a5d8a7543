/**
 * From the model-side decoding (`executable/`: TFLite → edgetpu-custom-op → DWN1 package) to the
 * driver's `TpuProgram`. Kept apart so the driver and the emulator depend on one small shape.
 */
import { ReefError } from '../../errors.ts';
import { readModel, type Model } from '../../tflite/index.ts';
import {
  findEdgeTpuOps,
  selectExecutables,
  type EdgeTpuExecutable,
  type EdgeTpuLayer,
  type EdgeTpuOp,
  type EdgeTpuPackage,
} from '../executable/index.ts';
import type { ExecutableKind, ProgramExecutable, ProgramLayer, TpuProgram } from './tpu-program.ts';

function layerOf(layer: EdgeTpuLayer): ProgramLayer {
  const out: ProgramLayer = {
    name: layer.name,
    sizeBytes: layer.sizeBytes,
    yDim: Math.max(1, layer.yDim),
    xDim: Math.max(1, layer.xDim),
    zDim: Math.max(1, layer.zDim),
    dataType: layer.dataType,
    elementBytes: layer.elementBytes,
    zeroPoint: layer.zeroPoint,
    scale: layer.dequantizationFactor,
    executionCount: Math.max(1, layer.executionCount),
  };
  if (layer.layout) out.layout = layer.layout;
  return out;
}

function executableOf(exe: EdgeTpuExecutable, kind: ExecutableKind): ProgramExecutable {
  return {
    kind,
    token: exe.cachingToken,
    batchSize: exe.batchSize,
    scratchSizeBytes: exe.scratchSizeBytes,
    chunks: exe.instructionChunks,
    parameters: exe.parameters,
    hints: exe.hints.map((h) => {
      switch (h.kind) {
        case 'instruction':
          return { kind: 'instruction', chunk: h.chunk };
        case 'interrupt':
          return { kind: 'interrupt', type: h.type };
        case 'fence':
          return { kind: 'fence' };
        case 'dma':
          return {
            kind: 'dma',
            direction: h.direction,
            buffer: h.buffer,
            name: h.name,
            batch: h.batch,
            offset: h.offset,
            size: h.size,
          };
      }
    }),
    fullyDeterministic: exe.fullyDeterministic,
    inputLayers: exe.inputLayers.map(layerOf),
    outputLayers: exe.outputLayers.map(layerOf),
  };
}

/** Protocol §5.4: a lone executable is stand-alone whatever its type says. */
export function programFromPackage(pkg: EdgeTpuPackage): TpuProgram {
  const { main, parameterCaching } = selectExecutables(pkg);
  const mainKind: ExecutableKind = pkg.executables.length === 1 ? 'stand-alone' : main.kind;
  const program: TpuProgram = { minRuntimeVersion: pkg.minRuntimeVersion, main: executableOf(main, mainKind) };
  if (parameterCaching) program.parameterCaching = executableOf(parameterCaching, 'parameter-caching');
  return program;
}

export interface ModelProgram {
  program: TpuProgram;
  model: Model;
  op: EdgeTpuOp;
  /** True when the graph has operators besides the Edge TPU op (they run on the CPU). */
  hasCpuOps: boolean;
}

/** Reads a compiled `.tflite` and returns its (single) Edge TPU op as a program. */
export function programFromModel(bytes: Uint8Array): ModelProgram {
  const model = readModel(bytes);
  const ops = findEdgeTpuOps(model);
  if (ops.length === 0) {
    throw new ReefError(
      'INVALID_ARGUMENT',
      'the model has no edgetpu-custom-op: it was not compiled for the Edge TPU',
      {
        reason: 'not-compiled',
      },
    );
  }
  if (ops.length > 1) {
    throw new ReefError('UNIMPLEMENTED', `the model has ${ops.length} Edge TPU ops; one per model is supported`, {
      reason: 'several-tpu-ops',
    });
  }
  const op = ops[0]!;
  if (op.options.extraPackages > 0) {
    throw new ReefError('UNIMPLEMENTED', 'multiple executables per custom op are not supported', {
      reason: 'several-packages',
    });
  }
  const operators = model.subgraphs.reduce((n, s) => n + s.operators.length, 0);
  return { program: programFromPackage(op.package), model, op, hasCpuOps: operators > 1 };
}
