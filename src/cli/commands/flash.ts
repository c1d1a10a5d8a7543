import { parseOptions } from '../options.ts';
import { flashFirmware, type UsbHostLike } from '../../lib/edgetpu/index.ts';
import { ReefError } from '../../lib/errors.ts';
import type { CliIo, Command } from '../command.ts';
import { loadFirmware } from '../usb/firmware.ts';
import { findCoral, listCorals, nodeUsb } from '../usb/node-usb.ts';
import { traceToFile } from '../usb/open-coral.ts';

const USAGE = `Usage: reef flash [--device usb:N] [--firmware FILE] [--trace FILE]

Downloads the Edge TPU firmware into a Coral in its DFU bootloader (1a6e:089a) and waits until it
comes back as 18d1:9302. The firmware lives in the stick's RAM: every replug needs a flash (run and
bench flash automatically).

Options:
  --device usb:N     which Coral (default: the first one in DFU mode)
  --firmware FILE    use this apex_latest_single_ep.bin (checked against its pinned sha256);
                     default: download it once from google-coral/libedgetpu and cache it
  --trace FILE       record every USB transfer as JSON lines
`;

export async function flashDevice(args: string[], io: CliIo, usb: UsbHostLike): Promise<number> {
  const { values } = parseOptions({
    args,
    options: { device: { type: 'string' }, firmware: { type: 'string' }, trace: { type: 'string' } },
  });
  const entry = values.device
    ? await findCoral(usb, values.device)
    : ((await listCorals(usb)).find((c) => c.personality === 'dfu') ?? (await findCoral(usb, 'usb')));
  if (entry.personality === 'app') {
    io.out(`${entry.id} already runs the firmware (18d1:9302); replug it to return to the bootloader.`);
    return 0;
  }
  const firmware = await loadFirmware(values.firmware, io.err);
  const trace = values.trace ? traceToFile(values.trace) : undefined;
  let last = '';
  const app = await flashFirmware(entry.device, firmware, {
    usb,
    label: entry.id,
    ...(trace ? { trace } : {}),
    onProgress: (p) => {
      const line = `${p.phase} ${Math.round((100 * p.bytesDone) / p.bytesTotal)}%`;
      if (p.phase !== 'download' || p.bytesDone === p.bytesTotal) {
        if (line !== last) io.err(line);
        last = line;
      }
    },
  });
  if (!app) throw new ReefError('NOT_FOUND', 'the Coral did not come back as 18d1:9302', { reason: 'no-device' });
  io.out(`${entry.id}: firmware running (18d1:9302).`);
  return 0;
}

export const command: Command = {
  name: 'flash',
  summary: 'download the Edge TPU firmware into a Coral in DFU mode',
  usage: USAGE,
  async run(args, io, deps) {
    return flashDevice(args, io, await (deps?.usb ?? nodeUsb)());
  },
};
