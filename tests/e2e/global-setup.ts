import { writeFakeCamera } from './support/fake-camera.ts';

/**
 * Before the browser starts: the fake camera shows cat.bmp. The run's id lets the virtual-Coral
 * specs build their test build once per run (support/virtual-build.ts); workers inherit it.
 */
export default async function globalSetup(): Promise<void> {
  process.env['REEF_E2E_RUN'] = `${process.pid}-${Date.now()}`;
  await writeFakeCamera('cat.bmp');
}
