/** The device pool the accelerator worker uses, on a real Coral (REEF_HW=1 npm run test:hw). */
import { describe, expect, it } from 'vitest';
import { DevicePool } from '../../src/lib/edgetpu/index.ts';
import { readFixture } from '../support/fixtures.ts';
import { DEVICE, ensureFirmware, hardwareUsb } from './support.ts';

describe(`device pool on ${DEVICE}`, () => {
  it('a co-compiled pair shares the TPU: one upload each, then no swaps', async () => {
    const usb = await hardwareUsb();
    await ensureFirmware(usb);
    const pool = new DevicePool(usb);
    try {
      const a = await pool.load(
        await readFixture('mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite'),
        { device: DEVICE, name: 'a' },
      );
      const b = await pool.load(
        await readFixture('mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite'),
        { device: DEVICE, name: 'b' },
      );
      for (let i = 0; i < 4; i++) {
        await a.run([new Uint8Array(160 * 160 * 3).fill(128)]);
        await b.run([new Uint8Array(128 * 128 * 3).fill(128)]);
      }
      const info = pool.device(DEVICE)!;
      expect(info.parameterUploads).toBe(2);
      expect(info.swaps).toBe(0);
      expect(info.state).toBe('idle');
    } finally {
      await pool.close();
    }
  });
});
