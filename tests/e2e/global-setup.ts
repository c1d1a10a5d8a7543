import { writeFakeCamera } from './support/fake-camera.ts';

/** Before the browser starts: the fake camera shows cat.bmp. */
export default async function globalSetup(): Promise<void> {
  await writeFakeCamera('cat.bmp');
}
