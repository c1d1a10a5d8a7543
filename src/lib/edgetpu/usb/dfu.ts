/**
 * USB DFU 1.1 class requests on EP0, with the spec's names (protocol §2.4).
 */
import { ReefError } from '../../errors.ts';
import type { UsbTransport } from './transfer.ts';

// Request numbers (protocol §2.4); DETACH (0) and GETSTATE (5) are never sent.
export const DFU_DNLOAD = 1;
export const DFU_UPLOAD = 2;
export const DFU_GETSTATUS = 3;
export const DFU_CLRSTATUS = 4;
export const DFU_ABORT = 6;

/** bState values (protocol §2.4). */
export const DFU_STATE = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;

export const DFU_STATE_NAMES = [
  'appIDLE',
  'appDETACH',
  'dfuIDLE',
  'dfuDNLOAD-SYNC',
  'dfuDNBUSY',
  'dfuDNLOAD-IDLE',
  'dfuMANIFEST-SYNC',
  'dfuMANIFEST',
  'dfuMANIFEST-WAIT-RESET',
  'dfuUPLOAD-IDLE',
  'dfuERROR',
];

/** bStatus 0 = OK; the rest are DFU 1.1 error codes (errTARGET … errSTALLEDPKT). */
export const DFU_STATUS_OK = 0;

export interface DfuStatus {
  status: number;
  pollTimeoutMs: number;
  state: number;
  iString: number;
}

export function decodeDfuStatus(bytes: Uint8Array): DfuStatus {
  if (bytes.length !== 6) {
    throw new ReefError('DATA_LOSS', `DFU_GETSTATUS returned ${bytes.length} bytes, expected 6`, {
      reason: 'bad-dfu-status',
    });
  }
  return {
    status: bytes[0]!,
    pollTimeoutMs: bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16),
    state: bytes[4]!,
    iString: bytes[5]!,
  };
}

function classSetup(request: number, value: number, iface: number) {
  return { requestType: 'class' as const, recipient: 'interface' as const, request, value, index: iface };
}

export async function dfuDownload(usb: UsbTransport, iface: number, block: number, data: Uint8Array): Promise<void> {
  await usb.controlOut(classSetup(DFU_DNLOAD, block & 0xffff, iface), data, { context: `DFU_DNLOAD(block ${block})` });
}

export async function dfuGetStatus(usb: UsbTransport, iface: number): Promise<DfuStatus> {
  return decodeDfuStatus(await usb.controlIn(classSetup(DFU_GETSTATUS, 0, iface), 6, { context: 'DFU_GETSTATUS' }));
}

export async function dfuUpload(usb: UsbTransport, iface: number, block: number, length: number): Promise<Uint8Array> {
  return usb.controlIn(classSetup(DFU_UPLOAD, block & 0xffff, iface), length, {
    context: `DFU_UPLOAD(block ${block})`,
  });
}

export async function dfuClearStatus(usb: UsbTransport, iface: number): Promise<void> {
  await usb.controlOut(classSetup(DFU_CLRSTATUS, 0, iface), undefined, { context: 'DFU_CLRSTATUS' });
}

export async function dfuAbort(usb: UsbTransport, iface: number): Promise<void> {
  await usb.controlOut(classSetup(DFU_ABORT, 0, iface), undefined, { context: 'DFU_ABORT' });
}
