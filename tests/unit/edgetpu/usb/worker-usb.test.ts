/** The emulator build's worker USB: DFU coral, catalog models fetched from a local mirror, full flow. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { flashFirmware } from '../../../../src/lib/edgetpu/dfu/flash.ts';
import { openEdgeTpu } from '../../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { DeviceManager } from '../../../../src/lib/edgetpu/devices/manager.ts';
import { readFixture } from '../../../support/fixtures.ts';
import { browserCoral, workerUsb } from '../../../emulator/worker-usb.ts';

describe('emulator worker USB (browser test build)', () => {
  it('walks permission list → firmware → re-enumeration → inference on a mirrored catalog model', async () => {
    const model = await readFixture('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const server = createServer((req, res) => {
      if (req.url?.endsWith('/mobilenet_v1_0.25_128_quant_edgetpu.tflite')) res.end(model);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { usb, corals } = browserCoral({ mirror: `http://127.0.0.1:${port}/__mirror` });
      expect(workerUsb()).toBe(usb);
      const manager = new DeviceManager(usb);
      const [first] = await manager.refresh();
      expect(first).toMatchObject({ id: 'usb:0', personality: 'dfu' });
      const app = await flashFirmware(first!.device, await readFixture('apex_latest_single_ep.bin'), { usb });
      expect(manager.list().map((d) => [d.id, d.personality])).toEqual([['usb:0', 'app']]);
      const tpu = await openEdgeTpu(app!);
      const loaded = await tpu.load(model);
      const [out] = await loaded.run([new Uint8Array(128 * 128 * 3).fill(3)]);
      expect(out!.data.length).toBe(1001);
      expect(corals[0]!.app.stats.parameterUploads.get('mobilenet_v1_0.25_128_quant_edgetpu.tflite')).toBe(1);
      expect(corals[0]!.violations).toEqual([]);
      await tpu.close();
      manager.dispose();
    } finally {
      server.close();
    }
  });
});
