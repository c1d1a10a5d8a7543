/**
 * The one place LiteRT.js is instantiated in Node. Its glue script is a CommonJS-style Emscripten
 * file inside an ESM package (so `require` cannot load it): it is evaluated once with Node's module
 * wrapper and its factory is called for each fresh instance. Node 20 has no relaxed SIMD by
 * default, which LiteRT's fast builds need; V8's flag turns it on before the first WASM compile.
 * The threaded build needs browser workers, so Node runs single-threaded.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInThisContext } from 'node:vm';
import * as litert from '@litertjs/core';
import type { LiteRtLoader, LiteRtModuleArgs, LiteRtWasmModule, LoadedLiteRt } from '../lib/runtime/index.ts';

type ModuleFactory = (args: LiteRtModuleArgs) => Promise<LiteRtWasmModule>;

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@litertjs/core/package.json')), 'wasm');
}

function evaluateGlue(file: string): ModuleFactory {
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const run = runInThisContext(wrapper, { filename: file }) as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const module: { exports: unknown } = { exports: {} };
  run({}, createRequire(file), module, file, dirname(file));
  if (typeof module.exports !== 'function') throw new Error(`${file} did not export a module factory`);
  return module.exports as ModuleFactory;
}

let factory: Promise<{ create: ModuleFactory; variant: string }> | undefined;

async function loadFactory(): Promise<{ create: ModuleFactory; variant: string }> {
  // Must precede the first feature probe: @litertjs/core caches the answer.
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const variant = (await litert.supportsFeature('relaxedSimd')) ? 'plain' : 'compat';
  const stem = variant === 'plain' ? 'litert_wasm_internal' : 'litert_wasm_compat_internal';
  return { create: evaluateGlue(join(wasmDir(), `${stem}.js`)), variant };
}

/**
 * LiteRT's C++ logs INFO lines on every model load; keep stdout clean for `--json`. With a `log`
 * hook (the runtime's capture) its lines are judged and summarised there, never printed;
 * `REEF_LITERT_LOG=1` echoes them all to stderr for debugging.
 */
function printer(log: ((text: string) => void) | undefined): (text: string) => void {
  return (text) => {
    if (process.env['REEF_LITERT_LOG'] || (!log && /^(ERROR|FATAL)/.test(text))) process.stderr.write(`${text}\n`);
    log?.(text);
  };
}

export const nodeLiteRtLoader: LiteRtLoader = {
  async load(hooks = {}): Promise<LoadedLiteRt> {
    factory ??= loadFactory();
    const { create, variant } = await factory;
    const module = await create({ print: printer(hooks.log), printErr: printer(hooks.log) });
    return { module, variant, threads: 1 };
  },
};
