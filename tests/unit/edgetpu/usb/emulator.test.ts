/**
 * The virtual Coral must catch driver bugs (protocol §8): these drive it with raw transfers that
 * break one rule each and check it refuses, wedges or records the violation.
 */
import { describe, expect, it } from 'vitest';
import { runOpenSequence } from '../../../../src/lib/edgetpu/driver/open-sequence.ts';
import { claimCoralInterface } from '../../../../src/lib/edgetpu/usb/device.ts';
import { encodeHeader } from '../../../../src/lib/edgetpu/usb/framing.ts';
import { UsbTransport } from '../../../../src/lib/edgetpu/usb/transfer.ts';
import { coralWith } from '../../../emulator/node-fixtures.ts';
import { VirtualCoral } from '../../../emulator/virtual-coral.ts';

const vendor = (request: number, offset: number) =>
  ({ requestType: 'vendor', recipient: 'device', request, value: offset & 0xffff, index: offset >>> 16 }) as const;
const dfuClass = (request: number, value = 0) =>
  ({ requestType: 'class', recipient: 'interface', request, value, index: 0 }) as const;

async function openedApp(models: Parameters<typeof coralWith>[0] = []) {
  const setup = await coralWith(models);
  const device = setup.coral.device!;
  await claimCoralInterface(device);
  const usb = new UsbTransport(device, { timeoutMs: 200 });
  await runOpenSequence(usb, { clock: 'high', outfeedChunkUnits: 0x80, descriptorEnable: 0xf0, pollTimeoutMs: 200 });
  return { ...setup, device, usb };
}

function framed(tag: 0 | 1 | 2, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(8 + payload.length);
  encodeHeader(payload.length, tag, out);
  out.set(payload, 8);
  return out;
}

const hangs = (p: Promise<unknown>, ms = 50) =>
  Promise.race([
    p.then(
      () => 'done',
      () => 'rejected',
    ),
    new Promise((r) => setTimeout(() => r('hung'), ms)),
  ]);

describe('virtual Coral: DFU personality (§8 #1–#4)', () => {
  it('has no endpoints and refuses vendor requests', async () => {
    const coral = new VirtualCoral();
    const device = coral.device!;
    expect(device.configurations[0]!.interfaces[0]!.alternate.endpoints).toHaveLength(0);
    await claimCoralInterface(device);
    await expect(device.controlTransferIn(vendor(1, 0x1a000), 4)).rejects.toMatchObject({ name: 'ProtocolError' });
    await expect(device.transferIn(1, 1024)).rejects.toMatchObject({ name: 'ProtocolError' });
  });

  it('goes to dfuERROR on an out-of-order block or a DNLOAD without GETSTATUS', async () => {
    const coral = new VirtualCoral();
    const device = coral.device!;
    await claimCoralInterface(device);
    await device.controlTransferOut(dfuClass(1, 1), new Uint8Array(256));
    const status = await device.controlTransferIn(dfuClass(3), 6);
    expect(new Uint8Array(status.data!.buffer)[4]).toBe(10);
    expect(coral.violations.join()).toMatch(/DNLOAD block 1, expected 0/);

    const again = new VirtualCoral();
    await claimCoralInterface(again.device!);
    await again.device!.controlTransferOut(dfuClass(1, 0), new Uint8Array(256));
    await again.device!.controlTransferOut(dfuClass(1, 1), new Uint8Array(256));
    expect(again.violations.join()).toMatch(/before GETSTATUS/);
  });

  it('a reset without a complete image stays in DFU on the same device object', async () => {
    const coral = new VirtualCoral();
    const device = coral.device!;
    await claimCoralInterface(device);
    await device.reset();
    expect(coral.device).toBe(device);
    expect(coral.personality).toBe('dfu');
  });
});

describe('virtual Coral: app personality (§8 #6–#16)', () => {
  it('shows the §1.2 identity: bcdUSB 3.10, no strings, 6 endpoints', async () => {
    const { coral } = await coralWith([]);
    const d = coral.device!;
    expect([d.vendorId, d.productId, d.usbVersionMajor, d.usbVersionMinor]).toEqual([0x18d1, 0x9302, 3, 1]);
    expect(d.serialNumber).toBeNull();
    expect(d.configurations[0]!.interfaces[0]!.alternate.endpoints).toHaveLength(6);
  });

  it('refuses I/O before the interface is claimed (WebUSB rule)', async () => {
    const { coral } = await coralWith([]);
    await coral.device!.open();
    await expect(coral.device!.transferIn(2, 16)).rejects.toMatchObject({ name: 'InvalidStateError' });
  });

  it('enforces register width, known offsets and the reset state', async () => {
    const { coral } = await coralWith([]);
    const d = coral.device!;
    await claimCoralInterface(d);
    await expect(d.controlTransferIn(vendor(0, 0x1a318), 8)).rejects.toMatchObject({ name: 'ProtocolError' });
    await expect(d.controlTransferIn(vendor(1, 0x1a318), 8)).rejects.toMatchObject({ name: 'ProtocolError' });
    await expect(d.controlTransferIn(vendor(1, 0x1a3fc), 4)).rejects.toThrow(/unknown CSR/);
    await expect(d.controlTransferIn(vendor(0, 0x44018), 8)).rejects.toThrow(/in reset/);
    const omc = await d.controlTransferIn(vendor(1, 0x1a000), 4);
    expect(omc.data!.getUint32(0, true)).toBe(0x0219089a);
  });

  it('wedges when bulk data arrives before the open sequence finished', async () => {
    const { coral } = await coralWith([]);
    const d = coral.device!;
    await claimCoralInterface(d);
    expect(await hangs(d.transferOut(1, framed(0, new Uint8Array(64)).slice(0, 8)))).toBe('done'); // 48 KiB budget
    expect(coral.wedged).toMatch(/open sequence/);
    expect(await hangs(d.transferOut(1, new Uint8Array(64 * 1024)))).toBe('hung');
  });

  it('rejects bad headers, data before instructions and unknown instruction streams', async () => {
    const { coral, device } = await openedApp(['testconv1-edgetpu.tflite']);
    await expect(device.transferOut(1, Uint8Array.of(4, 0, 0, 0, 7, 0, 0, 0))).rejects.toMatchObject({
      name: 'ProtocolError',
    });
    const b = await openedApp(['testconv1-edgetpu.tflite']);
    await expect(b.device.transferOut(1, framed(1, new Uint8Array(16)))).rejects.toThrow(
      /must start with instructions/,
    );
    const c = await openedApp(['testconv1-edgetpu.tflite']);
    await c.device.transferOut(1, framed(0, new Uint8Array(32)));
    expect(c.coral.wedged).toMatch(/matches no registered executable/);
    expect(coral.violations.length).toBeGreaterThan(0);
  });

  it('wedges an EXECUTION_ONLY stream whose parameters are not cached (§8 #12–#13)', async () => {
    const name = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
    const { coral, device, models } = await openedApp([name]);
    const eo = models.get(name)!.program.main;
    await device.transferOut(1, framed(0, eo.chunks[0]!.bitstream));
    expect(coral.wedged).toMatch(/without its parameters cached/);
  });

  it('refuses a new request while the previous output is unread (§8 #14)', async () => {
    const name = 'testconv1-edgetpu.tflite';
    const { coral, device, models } = await openedApp([]);
    const program =
      models.get(name)?.program ??
      (await import('../../../emulator/node-fixtures.ts').then((m) => m.fixtureProgram(name))).program;
    coral.registerModel(name, program); // synthetic twin: any input
    const exe = program.main;
    const send = async () => {
      for (const hint of exe.hints) {
        if (hint.kind === 'instruction') await device.transferOut(1, framed(0, exe.chunks[hint.chunk]!.bitstream));
        if (hint.kind === 'dma' && hint.direction === 'infeed') {
          const payload =
            hint.buffer === 'parameter'
              ? exe.parameters.subarray(hint.offset, hint.offset + hint.size)
              : new Uint8Array(hint.size);
          await device.transferOut(1, framed(hint.buffer === 'parameter' ? 2 : 1, payload));
        }
      }
    };
    await send();
    await new Promise((r) => setTimeout(r, 5));
    expect(coral.app.unreadOutputBytes).toBe(14400);
    await expect(send()).rejects.toThrow(/output bytes of the previous request are unread/);
    // Reading it in 1 KiB pieces drains it; a 16-byte read is refused as babble.
    const small = await device.transferIn(1, 16);
    expect(small.status).toBe('babble');
    expect(coral.violations.join()).toMatch(/babble/);
    await expect(device.transferIn(2, 8)).rejects.toThrow(/16 bytes/);
  });

  it('flags unrelocated instructions in descriptor mode (§8 #18)', async () => {
    const name = 'testconv1-edgetpu.tflite';
    const { coral, device, usb, models } = await openedApp([name]);
    const { writeCsr64 } = await import('../../../../src/lib/edgetpu/usb/csr.ts');
    await writeCsr64(usb, 0x4c148, 0xff);
    const exe = models.get(name)!.program.main;
    await device.transferOut(1, framed(0, exe.chunks[0]!.bitstream));
    expect(coral.violations.join()).toMatch(/unrelocated instruction chunk 0/);
  });

  it('a halt written while a request is pending wedges the chip (§8 #19)', async () => {
    const name = 'mobilenet_v1_0.25_128_quant_edgetpu.tflite';
    const { coral, device, models } = await openedApp([name]);
    const pc = models.get(name)!.program.parameterCaching!;
    await device.transferOut(1, framed(0, pc.chunks[0]!.bitstream));
    const halt = new Uint8Array(8);
    halt[0] = 2;
    await device.controlTransferOut(vendor(0, 0x44018), halt);
    expect(coral.wedged).toMatch(/halt/);
  });
});
