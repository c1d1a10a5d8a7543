/**
 * The worker's Edge TPU path in Node, on the virtual Coral with zero latency (a test double: host-CPU
 * figures, not hardware results). Model: MobileNet v1 0.25 128 (one Edge TPU op for the whole graph).
 *
 * The emulator computes the TPU op with the CPU twin in LiteRT.js, so a run on the TPU path costs
 * the twin's own compute plus what Reef adds: the worker's engine choice, the composite engine, the
 * device pool's queue, the driver and the USB framing. The baseline, measured in the same run and
 * alternated run by run, is the same twin on the worker's WASM engine. Printed: both medians, their
 * ratio, and the difference (the host overhead of the TPU path per inference).
 */
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { DevicePool } from '../../src/lib/edgetpu/index.ts';
import { LiteRtRuntime } from '../../src/lib/runtime/index.ts';
import { WorkerEngines } from '../../src/worker/engines.ts';
import { TpuEngines } from '../../src/worker/tpu-engines.ts';
import { twinCompute } from '../emulator/node-twin.ts';
import { VirtualCoral } from '../emulator/virtual-coral.ts';
import { readFixture } from '../support/fixtures.ts';
import { cpuEngine } from '../unit/runtime/support.ts';
import { median } from './support/stats.ts';

const COMPILED = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
const TWIN = 'mobilenet_v1_0.25_128_quant.tflite';
const RUNS = 300;
const WARMUP = 30;

const compiled = await readFixture(COMPILED);
const twin = await readFixture(TWIN);
const coral = new VirtualCoral({ firmwareLoaded: true });
coral.registerModel(COMPILED, compiled, await twinCompute(compiled, twin));
const pool = new DevicePool(coral.usb);
await pool.refresh();
const engines = new TpuEngines(pool, new WorkerEngines(() => cpuEngine()), () => new LiteRtRuntime(nodeLiteRtLoader));
const onTpu = await engines.load(compiled, { engine: 'auto', cpuTwin: twin });
const onWasm = await engines.load(twin, { engine: 'wasm' });
if (onTpu.device !== 'usb:0' || onWasm.device !== 'cpu') throw new Error('unexpected engine placement');

const input = new Uint8Array(128 * 128 * 3);
for (let i = 0; i < input.length; i++) input[i] = (i * 31) % 251;

for (let i = 0; i < WARMUP; i++) {
  await engines.run(onTpu.id, [input]);
  await engines.run(onWasm.id, [input]);
}
const tpuMs: number[] = [];
const wasmMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let t = performance.now();
  await engines.run(onTpu.id, [input]);
  tpuMs.push(performance.now() - t);
  t = performance.now();
  await engines.run(onWasm.id, [input]);
  wasmMs.push(performance.now() - t);
}
const tpu = median(tpuMs);
const wasm = median(wasmMs);
if (coral.violations.length) throw new Error(`protocol violations: ${coral.violations.join('; ')}`);

console.log(`worker TPU path on the virtual Coral (zero latency, twin compute), ${RUNS} runs alternated:`);
console.log(`  TPU path  (auto → usb:0)   median ${tpu.toFixed(3)} ms / inference`);
console.log(`  baseline  (twin on WASM)   median ${wasm.toFixed(3)} ms / inference`);
console.log(`  ratio TPU path / baseline  ${(tpu / wasm).toFixed(3)}×`);
console.log(`  host overhead of the TPU path (difference)  ${(tpu - wasm).toFixed(3)} ms / inference`);
console.log(`  parameter uploads: ${pool.devices()[0]!.parameterUploads} (1 expected: cached after the first run)`);
await pool.close();
