/**
 * The Edge TPU driver on a real Coral (REEF_HW=1 npm run test:hw). Known answers from outside the
 * driver: coralmicro's golden testconv1 output and the CPU twin run on LiteRT.js.
 */
import { describe, expect, it } from 'vitest';
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { openCoral } from '../../src/cli/usb/open-coral.ts';
import { dequantize, WasmEngine } from '../../src/lib/runtime/index.ts';
import { decodeBmp, imageToTensor } from '../../src/lib/tasks/index.ts';
import { fixturePath, readFixture } from '../support/fixtures.ts';
import { DEVICE, hardwareUsb } from './support.ts';

describe(`Edge TPU driver on ${DEVICE}`, () => {
  it('testconv1 is bit-exact at both clock presets, on a fresh open each time', async () => {
    const usb = await hardwareUsb();
    const model = await readFixture('testconv1-edgetpu.tflite');
    const input = await readFixture('testconv1-test-input.bin');
    const expected = await readFixture('testconv1-expected-output.bin');
    for (const clock of ['high', 'max'] as const) {
      const { tpu } = await openCoral(usb, {
        spec: DEVICE,
        clock,
        firmwareFile: await fixturePath('apex_latest_single_ep.bin'),
      });
      try {
        expect(tpu.info?.clock).toBe(clock);
        const loaded = await tpu.load(model);
        for (let i = 0; i < 3; i++) {
          const [out] = await loaded.run([input]);
          expect(Buffer.from(out!.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
        }
      } finally {
        await tpu.close();
      }
    }
  });

  it('a classifier on cat.bmp: top-1 as the CPU twin, parameters uploaded once', async () => {
    const usb = await hardwareUsb();
    const { tpu } = await openCoral(usb, {
      spec: DEVICE,
      firmwareFile: await fixturePath('apex_latest_single_ep.bin'),
    });
    const cpu = new WasmEngine(nodeLiteRtLoader);
    try {
      const twin = await cpu.load(await readFixture('mobilenet_v1_0.25_128_quant.tflite'));
      const input = imageToTensor(decodeBmp(await readFixture('cat.bmp')), twin.inputs[0]!).data as Uint8Array;
      const cpuScores = dequantize((await twin.run([input])).outputs[0]!);
      const model = await tpu.load(await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite'));
      for (let i = 0; i < 5; i++) {
        const [out] = await model.run([input]);
        const tpuScores = Float32Array.from(out!.data as Uint8Array, (q) => (q - out!.zeroPoint) * out!.scale);
        const top = (s: Float32Array) => s.indexOf(Math.max(...s));
        expect(top(tpuScores)).toBe(top(cpuScores));
      }
      expect(tpu.stats.parameterUploads).toBe(1);
      expect(tpu.stats.failures).toBe(0);
    } finally {
      cpu.dispose();
      await tpu.close();
    }
  });
});
