import { describe, expect, it } from 'vitest';
import { decodeDfuStatus } from '../../../../src/lib/edgetpu/usb/dfu.ts';
import { decodeEvent, decodeInterrupt, encodeHeader } from '../../../../src/lib/edgetpu/usb/framing.ts';
import { CSR, csrName, csrWidth, withClock } from '../../../../src/lib/edgetpu/usb/registers.ts';
import { parseDfuDescriptor } from '../../../../src/lib/edgetpu/usb/standard.ts';
import { UsbTransport } from '../../../../src/lib/edgetpu/usb/transfer.ts';
import { writeBits32 } from '../../../../src/lib/edgetpu/driver/streamable-program.ts';
import { encodeDfuStatus } from '../../../emulator/device-dfu.ts';
import { decodeHeader, encodeEvent, encodeInterruptWord } from '../../../emulator/device-framing.ts';
import { clockOf } from '../../../emulator/device-registers.ts';
import { dfuConfigurationBlob } from '../../../emulator/dfu-function.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('usb/framing (protocol §4.3, §4.6, §4.7)', () => {
  it('encodes the capture headers', () => {
    expect(hex(encodeHeader(976, 0))).toBe('d003000000000000');
    expect(hex(encodeHeader(2112, 2))).toBe('4008000002000000');
    expect(hex(encodeHeader(128, 1))).toBe('8000000001000000');
    // The virtual Coral's own parser reads what the driver wrote.
    expect(decodeHeader(encodeHeader(606208, 2))).toEqual({ length: 606208, tag: 2 });
  });
  it("the virtual Coral's parser rejects the header shapes the device rejects (§8 #11)", () => {
    expect(() => decodeHeader(Uint8Array.of(8, 0, 0, 0, 3, 0, 0, 0))).toThrow(/tag/);
    expect(() => decodeHeader(Uint8Array.of(8, 0, 0, 0, 0x10, 0, 0, 0))).toThrow(/tag/);
    expect(() => decodeHeader(Uint8Array.of(8, 0, 0, 0, 0, 1, 0, 0))).toThrow(/pad/);
    expect(() => decodeHeader(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0))).toThrow(/length 0/);
    expect(() => encodeHeader(0, 1)).toThrow();
  });
  it('decodes the observed completion event and interrupt words (and the virtual Coral encodes them alike)', () => {
    const event = Uint8Array.from([...new Array<number>(12).fill(0), 4, 0, 0, 0]);
    expect(decodeEvent(event)).toEqual({ address: 0n, length: 0, tag: 4 });
    expect(hex(encodeEvent({ address: 0n, length: 0, tag: 4 }))).toBe(hex(event));
    const report = { address: 0x7f12_3456_7000n, length: 1008, tag: 3 };
    expect(decodeEvent(encodeEvent(report))).toEqual(report);
    expect(decodeInterrupt(encodeInterruptWord(0x10))).toEqual({ fatal: false, topLevel: [3], raw: 0x10 });
    expect(() => decodeEvent(new Uint8Array(8))).toThrow(expect.objectContaining({ reason: 'bad-event' }));
    expect(decodeInterrupt(Uint8Array.of(0x11, 0, 0, 0))).toEqual({ fatal: true, topLevel: [3], raw: 0x11 });
  });
});

describe('usb/registers (protocol §3.2–§3.4)', () => {
  it('knows widths and names', () => {
    expect(csrWidth(CSR.scu_ctrl_3)).toBe(32);
    expect(csrWidth(CSR.tileconfig0)).toBe(64);
    expect(csrName(0x1a318)).toBe('scu_ctrl_3');
  });
  it('programs the clock presets of the USB column', () => {
    const leaveReset = 0x5085025c & ~0xf0000000;
    expect(withClock(0x5085025c, 'high') >>> 0).toBe(0x5085025c);
    expect((withClock(leaveReset, 'max') >>> 28) & 0xf).toBe(0x0);
    expect((withClock(leaveReset, 'medium') >>> 28) & 0xf).toBe(0x6);
    expect((withClock(leaveReset, 'low') >>> 28) & 0xf).toBe(0xf);
    // The virtual Coral reads the preset back from the top nibble (§3.4), its own way.
    expect(clockOf(0x50c5025c)).toBe('high');
    for (const preset of ['low', 'medium', 'high', 'max'] as const)
      expect(clockOf(withClock(leaveReset, preset))).toBe(preset);
  });
});

describe('usb/dfu and usb/standard (protocol §1.3, §2.4)', () => {
  it("decodes the virtual Coral's GETSTATUS replies", () => {
    const s = { status: 0, pollTimeoutMs: 0x012345, state: 5, iString: 0 };
    expect(decodeDfuStatus(encodeDfuStatus(s))).toEqual(s);
    expect(() => decodeDfuStatus(new Uint8Array(5))).toThrow(expect.objectContaining({ reason: 'bad-dfu-status' }));
  });
  it('finds the DFU interface and wTransferSize', () => {
    expect(parseDfuDescriptor(dfuConfigurationBlob())).toMatchObject({
      interfaceNumber: 0,
      transferSize: 256,
      manifestationTolerant: true,
    });
    expect(() => parseDfuDescriptor(Uint8Array.of(9, 2, 9, 0, 0, 1, 0, 0x80, 0))).toThrow(
      expect.objectContaining({ reason: 'no-dfu-interface' }),
    );
  });
});

describe('relocation (protocol §5.6)', () => {
  it('writes 32 bits LSB first at any bit offset, leaving neighbours alone', () => {
    const bytes = new Uint8Array(16).fill(0xff);
    writeBits32(bytes, 70, 0);
    expect(hex(bytes)).toBe('ffffffffffffffff3f000000c0ffffff');
    writeBits32(bytes, 70, 0x12345678);
    const view = new DataView(bytes.buffer);
    const value = Number((view.getBigUint64(8, true) >> 6n) & 0xffffffffn);
    expect(value).toBe(0x12345678);
  });
});

/** A USBDevice stand-in answering each call with a fixed outcome. */
function fakeDevice(outcome: () => Promise<unknown>): USBDevice {
  const call = () => outcome();
  return {
    vendorId: 0x18d1,
    productId: 0x9302,
    controlTransferIn: call,
    controlTransferOut: call,
    transferIn: call,
    transferOut: call,
  } as unknown as USBDevice;
}

describe('usb/transfer: WebUSB outcomes become ReefErrors once', () => {
  const setup = { requestType: 'vendor', recipient: 'device', request: 1, value: 0, index: 1 } as const;
  it('maps stall, babble, short reads and short writes', async () => {
    const stall = new UsbTransport(fakeDevice(async () => ({ status: 'stall' })));
    await expect(stall.transferIn(1, 1024, { context: 'x' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'stall',
    });
    const babble = new UsbTransport(
      fakeDevice(async () => ({ status: 'babble', data: new DataView(new ArrayBuffer(4)) })),
    );
    await expect(babble.transferIn(1, 4, { context: 'x' })).rejects.toMatchObject({
      code: 'DATA_LOSS',
      reason: 'babble',
    });
    const short = new UsbTransport(fakeDevice(async () => ({ status: 'ok', data: new DataView(new ArrayBuffer(2)) })));
    await expect(short.controlIn(setup, 4, { context: 'readCsr32(x)' })).rejects.toMatchObject({
      reason: 'short-read',
    });
    const shortWrite = new UsbTransport(fakeDevice(async () => ({ status: 'ok', bytesWritten: 3 })));
    await expect(shortWrite.transferOut(1, new Uint8Array(8), { context: 'x' })).rejects.toMatchObject({
      reason: 'short-write',
    });
  });
  it('times out a transfer that never completes (WebUSB has no timeouts)', async () => {
    const never = new UsbTransport(
      fakeDevice(() => new Promise(() => undefined)),
      { timeoutMs: 30, label: 'usb:3' },
    );
    await expect(never.transferOut(1, new Uint8Array(8), { context: 'send input' })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      reason: 'timeout',
      message: 'usb:3: send input timed out after 30 ms',
    });
  });
  it('maps thrown DOMExceptions', async () => {
    const gone = new UsbTransport(fakeDevice(async () => Promise.reject(new DOMException('gone', 'NotFoundError'))));
    await expect(gone.transferIn(2, 16, { context: 'x' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'device-gone',
    });
    const aborted = new UsbTransport(fakeDevice(async () => Promise.reject(new DOMException('a', 'AbortError'))));
    await expect(aborted.transferIn(2, 16, { context: 'x' })).rejects.toMatchObject({ code: 'CANCELLED' });
    const denied = new UsbTransport(
      fakeDevice(async () => Promise.reject(new DOMException('Access denied', 'SecurityError'))),
    );
    await expect(denied.transferIn(2, 16, { context: 'x' })).rejects.toMatchObject({ reason: 'no-permission' });
  });
});
