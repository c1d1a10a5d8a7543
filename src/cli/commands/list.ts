import { parseOptions } from '../options.ts';
import type { UsbHostLike } from '../../lib/edgetpu/index.ts';
import type { CliIo, Command } from '../command.ts';
import { listCorals, nodeUsb, permissionHint } from '../usb/node-usb.ts';

const USAGE = `Usage: reef list [--json]

Lists the Coral USB Accelerators on this computer with their ids (usb:0, usb:1… in enumeration
order, as pycoral numbers them), personality (dfu = bootloader, needs firmware; app = ready) and
USB link speed (USB 2 is 4–12× slower than USB 3).
`;

const SPEED: Record<string, string> = {
  super: 'USB 3 (SuperSpeed)',
  high: 'USB 2 (high speed) — slower',
  full: 'USB 1.1 (full speed) — very slow',
  unknown: 'unknown until the firmware runs',
};

export async function listDevices(args: string[], io: CliIo, usb: UsbHostLike): Promise<number> {
  const { values } = parseOptions({ args, options: { json: { type: 'boolean', default: false } } });
  const corals = await listCorals(usb);
  if (values.json) {
    io.out(
      JSON.stringify(
        corals.map((c) => ({ id: c.id, personality: c.personality, speed: c.speed })),
        null,
        2,
      ),
    );
    return 0;
  }
  if (corals.length === 0) {
    io.out(`No Coral USB Accelerator found.\n${permissionHint()}`);
    return 1;
  }
  for (const c of corals) {
    const who = c.personality === 'dfu' ? 'dfu  (1a6e:089a, needs firmware: reef flash)' : 'app  (18d1:9302, ready)';
    io.out(`${c.id.padEnd(6)}  ${who}  ${SPEED[c.speed]}`);
  }
  return 0;
}

export const command: Command = {
  name: 'list',
  summary: 'list Coral USB Accelerators (usb:N, personality, USB speed)',
  usage: USAGE,
  async run(args, io, deps) {
    return listDevices(args, io, await (deps?.usb ?? nodeUsb)());
  },
};
