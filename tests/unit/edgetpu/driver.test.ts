import { describe, expect, it } from 'vitest';
import { openEdgeTpu } from '../../../src/lib/edgetpu/driver.ts';
import { readFixture } from '../../support/fixtures.ts';
import { coralWith } from '../../emulator/node-fixtures.ts';

describe('Edge TPU driver on the virtual Coral', () => {
  it("runs testconv1 byte-exactly, sending the model's own parameter and input bytes", async () => {
    const { coral, models } = await coralWith(['testconv1-edgetpu.tflite']);
    const tpu = await openEdgeTpu(coral.device!);
    const model = await tpu.load(models.get('testconv1-edgetpu.tflite')!.bytes);
    const input = await readFixture('testconv1-test-input.bin');
    const expected = await readFixture('testconv1-expected-output.bin');
    const [out] = await model.run([input]);
    expect(out!.data.length).toBe(expected.length);
    expect(Buffer.from(out!.data as Uint8Array).equals(Buffer.from(expected))).toBe(true);
    expect(coral.violations).toEqual([]);
    await tpu.close();
  });
});
