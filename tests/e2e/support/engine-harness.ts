/**
 * A same-origin harness page for the engine e2e and the WASM benchmark. It is served by Playwright
 * routes beside the built app: cross-origin isolated like the app, but without the app's CSP so
 * the comparison peers (raw LiteRT.js on the page, tfjs-tflite) can load their own scripts. Reef
 * itself runs in the real built accelerator worker (its script and headers come from the app
 * server), driven through the worker's comlink protocol by a ten-line client on the page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { FIXTURES, fixturePath, type FixtureName } from '../../support/fixtures.ts';

const require = createRequire(import.meta.url);
const pkgDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

/** Files the harness may load, by URL name. */
function libraryFiles(): Map<string, string> {
  const files = new Map<string, string>([
    ['litert-core.js', join(pkgDir('@litertjs/core'), 'dist', 'index.js')],
    ['wasm-utils.js', join(pkgDir('@litertjs/wasm-utils'), 'dist', 'index.js')],
    ['tf.min.js', join(pkgDir('@tensorflow/tfjs'), 'dist', 'tf.min.js')],
    ['tf-tflite.min.js', join(pkgDir('@tensorflow/tfjs-tflite'), 'dist', 'tf-tflite.min.js')],
  ]);
  const tflWasm = join(pkgDir('@tensorflow/tfjs-tflite'), 'wasm');
  for (const f of readdirSync(tflWasm)) files.set(`tflite/${f}`, join(tflWasm, f));
  return files;
}

export function builtWorkerUrl(root = process.cwd()): string {
  const name = readdirSync(join(root, 'dist', 'assets')).find((f) => /^accelerator\.worker-.*\.js$/.test(f));
  if (!name) throw new Error('dist has no accelerator worker: build the app first');
  return `/assets/${name}`;
}

const HTML = `<!doctype html><meta charset="utf-8"><title>Reef engine harness</title>
<script>/* tsx (esbuild keepNames) wraps functions passed to page.evaluate in __name() */ window.__name = (f) => f;</script>
<script type="importmap">{"imports":{"@litertjs/wasm-utils":"/__harness/lib/wasm-utils.js"}}</script>
<script src="/__harness/lib/tf.min.js"></script>
<script src="/__harness/lib/tf-tflite.min.js"></script>
<script type="module">
  import * as litert from '/__harness/lib/litert-core.js';
  window.litert = litert;
  const params = new URLSearchParams(location.search);
  const worker = new Worker(params.get('worker'), { type: 'module', name: 'reef-accelerator' });
  const pending = new Map();
  let seq = 0;
  worker.onmessage = (ev) => {
    const p = pending.get(ev.data.id);
    if (!p) return;
    pending.delete(ev.data.id);
    if (ev.data.type === 'HANDLER' && ev.data.name === 'throw') p.reject(Object.assign(new Error(ev.data.value.message), ev.data.value));
    else p.resolve(ev.data.value);
  };
  // comlink's wire format: APPLY a method by path with RAW arguments.
  window.reef = (method, args = [], transfer = []) => new Promise((resolve, reject) => {
    const id = 'h' + ++seq;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, type: 'APPLY', path: [method], argumentList: args.map((value) => ({ type: 'RAW', value })) }, transfer);
  });
  window.fixture = async (name) => new Uint8Array(await (await fetch('/__harness/fixtures/' + name)).arrayBuffer());
  window.bitmap = async (name) => createImageBitmap(await (await fetch('/__harness/fixtures/' + name)).blob(),
    { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  window.pattern = (dtype, n) => {
    const a = dtype === 'float32' ? new Float32Array(n) : dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = dtype === 'float32' ? ((i * 7) % 251) / 251 : (i * 7) % 251 - (dtype === 'int8' ? 128 : 0);
    return a;
  };
  // One run of a loaded model on the pattern input, one per model input (transferred to the worker).
  window.runOnPattern = (id, infos) => {
    const inputs = infos.map((i) => window.pattern(i.dtype, i.shape.reduce((a, b) => a * b, 1)));
    return window.reef('runModel', [id, inputs], inputs.map((i) => i.buffer));
  };
  // Raw LiteRT.js in a bare worker (BARE_WORKER): one message out, one back, per call.
  window.bareWorker = () => {
    const worker = new Worker('/__harness/bare-litert-worker.js');
    const call = (message, transfer = []) => new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.ok ? resolve(data) : reject(new Error(data.error)));
      worker.postMessage(message, transfer);
    });
    return {
      init: () => call({ type: 'init' }),
      load: (bytes, shape, threads) => call({ type: 'load', bytes, shape, threads }),
      run: (input) => call({ type: 'run', input }, [input.buffer]),
      terminate: () => worker.terminate(),
    };
  };
  window.harnessReady = true;
</script>`;

/**
 * Raw LiteRT.js in a worker of its own, with the least messaging there is: the benchmark's "bare
 * worker" baseline. It pays the same two thread hops as Reef (page → worker → page, input and
 * outputs transferred) and nothing else, so Reef against it is what Reef's own code adds, and it
 * against raw LiteRT on the page is what the hop itself costs. A classic worker: LiteRT's loader
 * fetches its glue with importScripts, which module workers lack.
 */
const BARE_WORKER = `let litert, model, shape;
onmessage = async ({ data: m }) => {
  try {
    if (m.type === 'init') {
      litert = await import('/__harness/lib/litert-core-worker.js');
      // Its pthreads start from the classic glue, which this worker's own script is not.
      self.Module = { mainScriptUrlOrBlob: location.origin + '/litert/litert_wasm_threaded_internal.js' };
      await litert.loadLiteRt('/litert/', { threads: true });
      postMessage({ ok: true });
    } else if (m.type === 'load') {
      model?.delete();
      model = await litert.loadAndCompile(m.bytes, { accelerator: 'wasm', ...(m.threads ? { cpuOptions: { numThreads: m.threads } } : {}) });
      shape = m.shape;
      postMessage({ ok: true });
    } else if (m.type === 'run') {
      const t = performance.now();
      const input = new litert.Tensor(m.input, shape);
      const outs = await model.run([input]);
      const outputs = outs.map((o) => { const a = o.toTypedArray().slice(); o.delete(); return a; });
      input.delete();
      postMessage({ ok: true, ms: performance.now() - t, outputs }, outputs.map((a) => a.buffer));
    }
  } catch (e) {
    postMessage({ ok: false, error: String(e) });
  }
};`;

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export async function openHarness(page: Page): Promise<void> {
  const libs = libraryFiles();
  await page.route('**/__harness/**', async (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^\/__harness\//, '');
    if (path === 'engine.html') {
      return route.fulfill({ status: 200, headers: { ...HEADERS, 'Content-Type': 'text/html' }, body: HTML });
    }
    if (path === 'bare-litert-worker.js') {
      return route.fulfill({
        status: 200,
        headers: { ...HEADERS, 'Content-Type': 'text/javascript' },
        body: BARE_WORKER,
      });
    }
    if (/^litert_wasm_\w+\.wasm$/.test(path)) {
      // LiteRT's glue in a classic worker looks for its WASM beside the worker's script.
      const body = readFileSync(join(process.cwd(), 'dist', 'litert', path));
      return route.fulfill({ status: 200, headers: { ...HEADERS, 'Content-Type': 'application/wasm' }, body });
    }
    if (path === 'lib/litert-core-worker.js') {
      // Workers have no import map: the same module with its one bare import spelled out.
      const text = readFileSync(libs.get('litert-core.js')!, 'utf8').replace(
        /from\s*"@litertjs\/wasm-utils"/,
        'from "/__harness/lib/wasm-utils.js"',
      );
      return route.fulfill({ status: 200, headers: { ...HEADERS, 'Content-Type': 'text/javascript' }, body: text });
    }
    if (path.startsWith('lib/')) {
      const file = libs.get(path.slice(4));
      if (!file) return route.fulfill({ status: 404, body: 'not in the harness' });
      const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      return route.fulfill({ status: 200, headers: { ...HEADERS, 'Content-Type': type }, body: readFileSync(file) });
    }
    if (path.startsWith('fixtures/')) {
      const name = path.slice(9) as FixtureName;
      if (!(name in FIXTURES)) return route.fulfill({ status: 404, body: 'no such fixture' });
      const type = name.endsWith('.bmp')
        ? 'image/bmp'
        : name.endsWith('.jpg')
          ? 'image/jpeg'
          : 'application/octet-stream';
      return route.fulfill({
        status: 200,
        headers: { ...HEADERS, 'Content-Type': type },
        body: readFileSync(await fixturePath(name)),
      });
    }
    return route.fulfill({ status: 404, body: 'unknown harness path' });
  });
  await page.goto(`/__harness/engine.html?worker=${encodeURIComponent(builtWorkerUrl())}`);
  await page.waitForFunction(() => (window as unknown as { harnessReady?: boolean }).harnessReady === true);
}
