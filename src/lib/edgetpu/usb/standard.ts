/**
 * USB chapter-9 requests and descriptor parsing the driver needs: GET_DESCRIPTOR for the
 * configuration, and finding the DFU interface and its functional descriptor (protocol §1.3, §2.5).
 */
import { ReefError } from '../../errors.ts';
import type { UsbTransport } from './transfer.ts';

export const GET_DESCRIPTOR = 6;
export const DESCRIPTOR_TYPE = { device: 1, configuration: 2, interface: 4, endpoint: 5, dfuFunctional: 0x21 } as const;

export async function readConfigurationDescriptor(usb: UsbTransport, length = 9 + 512): Promise<Uint8Array> {
  return usb.controlIn(
    {
      requestType: 'standard',
      recipient: 'device',
      request: GET_DESCRIPTOR,
      value: DESCRIPTOR_TYPE.configuration << 8,
      index: 0,
    },
    length,
    { context: 'getConfigurationDescriptor' },
  );
}

export interface DfuFunctionalDescriptor {
  interfaceNumber: number;
  bmAttributes: number;
  detachTimeoutMs: number;
  transferSize: number;
  bcdDfuVersion: number;
  /** bitManifestationTolerant (DFU 1.1 bit 2). */
  manifestationTolerant: boolean;
}

/**
 * Walks the descriptors of a configuration blob: the DFU interface is class 0xFE, subclass 1 with
 * no endpoints, and its functional descriptor (type 0x21, 9 bytes) gives wTransferSize (§1.3).
 */
export function parseDfuDescriptor(blob: Uint8Array): DfuFunctionalDescriptor {
  let dfuInterface: number | undefined;
  let functional: Omit<DfuFunctionalDescriptor, 'interfaceNumber'> | undefined;
  for (let at = 0; at + 2 <= blob.length;) {
    const length = blob[at]!;
    const type = blob[at + 1]!;
    if (length < 2 || at + length > blob.length) break;
    if (type === DESCRIPTOR_TYPE.interface && length >= 9) {
      const numEndpoints = blob[at + 4]!;
      if (blob[at + 5] === 0xfe && blob[at + 6] === 0x01 && numEndpoints === 0 && dfuInterface === undefined) {
        dfuInterface = blob[at + 2]!;
      }
    } else if (type === DESCRIPTOR_TYPE.dfuFunctional && length >= 9) {
      functional = {
        bmAttributes: blob[at + 2]!,
        detachTimeoutMs: blob[at + 3]! | (blob[at + 4]! << 8),
        transferSize: blob[at + 5]! | (blob[at + 6]! << 8),
        bcdDfuVersion: blob[at + 7]! | (blob[at + 8]! << 8),
        manifestationTolerant: (blob[at + 2]! & 0x04) !== 0,
      };
    }
    at += length;
  }
  if (dfuInterface === undefined || functional === undefined) {
    throw new ReefError('FAILED_PRECONDITION', 'the device has no DFU interface with a functional descriptor', {
      reason: 'no-dfu-interface',
    });
  }
  if (functional.transferSize === 0) {
    throw new ReefError('FAILED_PRECONDITION', 'DFU functional descriptor says wTransferSize = 0', {
      reason: 'bad-dfu-descriptor',
    });
  }
  return { interfaceNumber: dfuInterface, ...functional };
}
