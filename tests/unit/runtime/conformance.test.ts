/** The conformance suite over the engines this area has: WASM (CPU model) and composite (compiled model). */
import { readFixture } from '../../support/fixtures.ts';
import { describeEngine } from './describe-engine.ts';
import { cpuEngine } from './support.ts';
import { twinTpuRunner } from './twin-tpu-runner.ts';

describeEngine('WasmEngine (LiteRT.js in Node)', () => ({
  engine: cpuEngine(),
  classifier: 'mobilenet_v1_0.25_128_quant.tflite',
  expectEngine: 'litert-wasm',
  expectDevice: 'cpu',
}));

const twin = await readFixture('mobilenet_v1_0.25_128_quant.tflite');
describeEngine('composite (compiled model, TPU op stood in for by the CPU twin)', () => ({
  engine: cpuEngine({ tpu: twinTpuRunner(twin) }),
  classifier: 'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
  expectEngine: 'edgetpu',
  expectDevice: 'twin',
}));
