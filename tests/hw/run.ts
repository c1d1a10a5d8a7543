/**
 * `npm run test:hw`: the driver's and the device pool's hardware checks and `reef doctor` against a
 * real Coral USB Accelerator. Runs them only with REEF_HW=1 and a Coral on the bus (node-usb);
 * otherwise says why nothing ran and exits 0, so it is safe anywhere.
 */
import { spawnSync } from 'node:child_process';
import { listCorals, nodeUsb } from '../../src/cli/usb/node-usb.ts';

async function main(): Promise<number> {
  if (process.env['REEF_HW'] !== '1') {
    console.log(
      'test:hw: REEF_HW is not 1, so no hardware test ran. With a Coral plugged in: REEF_HW=1 npm run test:hw',
    );
    return 0;
  }
  let corals: Awaited<ReturnType<typeof listCorals>>;
  try {
    corals = await listCorals(await nodeUsb());
  } catch (error) {
    console.log(
      `test:hw: no Coral attached (USB is not usable here: ${error instanceof Error ? error.message : String(error)}).`,
    );
    return 0;
  }
  if (corals.length === 0) {
    console.log('test:hw: no Coral attached (looked for 1a6e:089a and 18d1:9302); nothing to test.');
    return 0;
  }
  console.log(`test:hw: ${corals.map((c) => `${c.id} (${c.personality}, ${c.speed})`).join(', ')}`);
  const result = spawnSync(
    'npx',
    ['vitest', 'run', '--config', 'tests/hw/vitest.config.ts', ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  return result.status ?? 1;
}

// node-usb keeps the event loop alive: exit explicitly.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
