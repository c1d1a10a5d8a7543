/**
 * `reef run/bench --device auto|usb|usb:N|webgpu|wasm|cpu`: the engine ladder in Node. The Coral
 * rung opens a stick through node-usb (flashing it first when needed); WebGPU is a rung only where
 * Node has `navigator.gpu` (otherwise it is listed as unavailable with that reason); `auto`
 * remembers its measured choice in the user's cache directory (~/.cache/reef, or
 * $XDG_CACHE_HOME/reef).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ReefError } from '../../lib/errors.ts';
import {
  EngineLadder,
  EngineRegistry,
  FileChoiceCache,
  edgeTpuFactory,
  WasmEngine,
  wasmFactory,
  webGpuFactory,
  webNnFactory,
  type EdgeTpuEngine,
  type LadderModel,
  type LoadedModel,
} from '../../lib/runtime/index.ts';
import { nodeLiteRtLoader } from '../litert-node.ts';
import { listCorals, nodeUsb } from '../usb/node-usb.ts';
import { createUsbEngine, type UsbEngineOptions } from '../usb/usb-engine.ts';

export const DEVICE_SPECS = 'auto, cpu (or wasm), webgpu, usb or usb:N';
const DEVICE_SPEC = /^(auto|cpu|wasm|webgpu|webnn|usb(:\d+)?)$/;

/** What `reef run` needs of an engine: load (with the CPU twin of a compiled model), then dispose. */
export interface CliEngine {
  load(bytes: Uint8Array, options?: { cpuTwin?: Uint8Array }): Promise<LoadedModel>;
  /** The ladder's answer for the last load (engine, device, fallback, decision). */
  readonly last: LadderModel | undefined;
  dispose(): void;
}

export function choiceCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reef', 'engine-choices.json');
}

function fileCache(path: string): FileChoiceCache {
  return new FileChoiceCache(path, {
    readFile: (p) => readFile(p, 'utf8'),
    writeFile: async (p, text) => {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, text);
    },
  });
}

export function checkDeviceSpec(spec: string): void {
  if (!DEVICE_SPEC.test(spec)) {
    throw new ReefError('UNIMPLEMENTED', `device '${spec}' is not one Reef knows; use --device ${DEVICE_SPECS}`, {
      reason: 'unknown-device',
    });
  }
}

/** One line saying where `auto` put the model and why (stderr: stdout stays the result). */
export function decisionLine(answer: LadderModel): string {
  const d = answer.decision;
  const figures = d.figures.map((f) => `${f.label} ${f.medianMs.toFixed(2)} ms`).join(', ');
  const why =
    d.how === 'calibrated'
      ? `fastest correct of ${figures} (calibration ${Math.round(d.calibrationMs)} ms)`
      : d.how === 'cached'
        ? `fastest correct of ${figures} (measured earlier, from ${choiceCachePath()})`
        : d.how === 'preferred'
          ? 'compiled for it'
          : d.how === 'only-engine'
            ? 'the only engine here that can run it'
            : 'as asked';
  // The fallback note already says why the Coral is not used.
  const skipped = d.skipped
    .filter((s) => !(answer.fallback && s.engine === 'edgetpu'))
    .map((s) => `; skipped ${s.reason}`)
    .join('');
  return `engine: ${answer.label} (${why})${answer.fallback ? `; ${answer.fallback}` : ''}${skipped}`;
}

export interface LadderEngineOptions extends UsbEngineOptions {
  /** Where `auto` keeps its choices (default: the user cache dir). */
  cachePath?: string;
}

export function createLadderEngine(spec: string, options: LadderEngineOptions = {}): CliEngine {
  checkDeviceSpec(spec);
  const wasm = new WasmEngine(nodeLiteRtLoader);
  const gpu = webGpuFactory(nodeLiteRtLoader);
  const tpus: EdgeTpuEngine[] = [];
  const registry = new EngineRegistry();
  registry.register(wasmFactory(wasm));
  registry.register(gpu);
  registry.register(webNnFactory(nodeLiteRtLoader));
  registry.register(
    edgeTpuFactory({
      async probe() {
        try {
          const corals = await listCorals(options.usb ?? (await (options.openUsb ?? nodeUsb)()));
          // A stick in its bootloader is flashed when opened, so it counts.
          return corals.length > 0
            ? { available: true, devices: corals.map((c) => c.id) }
            : { available: false, reason: 'no Coral USB Accelerator found' };
        } catch (error) {
          // The long permission hint belongs to `reef list`; here one clause says why.
          const why =
            error instanceof ReefError && error.reason === 'usb-unavailable'
              ? 'USB devices cannot be listed here (`reef list` says why)'
              : error instanceof Error
                ? error.message
                : String(error);
          return { available: false, reason: why };
        }
      },
      async load(bytes, device) {
        const tpu = await createUsbEngine(device, options);
        tpus.push(tpu);
        return tpu.load(bytes);
      },
    }),
  );
  const ladder = new EngineLadder(registry, { cache: fileCache(options.cachePath ?? choiceCachePath()) });
  let last: LadderModel | undefined;
  return {
    get last() {
      return last;
    },
    async load(bytes, loadOptions = {}) {
      last = await ladder.load(bytes, {
        engine: spec,
        // A command's runs follow at once and it exits after them: one engine throughout, and the
        // whole calibration remembered for the next command.
        wait: true,
        ...(loadOptions.cpuTwin ? { cpuTwin: loadOptions.cpuTwin } : {}),
      });
      if (spec === 'auto') options.log?.(decisionLine(last));
      return last.model;
    },
    dispose() {
      wasm.dispose();
      gpu.engine()?.dispose();
      for (const tpu of tpus) tpu.dispose();
    },
  };
}
