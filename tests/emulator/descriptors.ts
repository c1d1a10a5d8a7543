/**
 * The `USBConfiguration` objects each personality shows through WebUSB (protocol §1.2, §1.3).
 */
export type LinkSpeed = 'super' | 'high';

interface MutableInterface {
  interfaceNumber: number;
  alternate: USBAlternateInterface;
  alternates: USBAlternateInterface[];
  claimed: boolean;
}

export function makeConfiguration(
  personality: 'dfu' | 'app',
  speed: LinkSpeed,
): { configuration: USBConfiguration; iface: MutableInterface } {
  const bulk = speed === 'super' ? 1024 : 512;
  const endpoints: USBEndpoint[] =
    personality === 'dfu'
      ? []
      : [
          { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: bulk },
          { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: bulk },
          { endpointNumber: 3, direction: 'out', type: 'bulk', packetSize: bulk },
          { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: bulk },
          { endpointNumber: 2, direction: 'in', type: 'bulk', packetSize: bulk },
          { endpointNumber: 3, direction: 'in', type: 'interrupt', packetSize: 64 },
        ];
  const alternate = {
    alternateSetting: 0,
    interfaceClass: personality === 'dfu' ? 0xfe : 0xff,
    interfaceSubclass: personality === 'dfu' ? 0x01 : 0xff,
    interfaceProtocol: personality === 'dfu' ? 0x02 : 0xff,
    interfaceName: null,
    endpoints,
  } as USBAlternateInterface;
  const iface: MutableInterface = { interfaceNumber: 0, alternate, alternates: [alternate], claimed: false };
  const configuration = {
    configurationValue: 1,
    configurationName: null,
    interfaces: [iface as unknown as USBInterface],
  } as USBConfiguration;
  return { configuration, iface };
}
