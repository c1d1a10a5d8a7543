/**
 * What the Models page may store: TFLite models and label files, decided from the bytes; anything
 * else is refused with the reason. And the library's pairing of compiled imports with CPU twins.
 */
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import { MemoryFileCache } from '../../../src/lib/zoo/file-cache.ts';
import { checkImport } from '../../../src/lib/zoo/import-check.ts';
import { ModelLibrary } from '../../../src/worker/model-library.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

function refusal(name: string, bytes: Uint8Array): { reason: string | undefined; message: string } {
  try {
    checkImport(name, bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ReefError);
    return { reason: (error as ReefError).reason, message: (error as ReefError).message };
  }
  throw new Error(`${name} was accepted`);
}

const note = new TextEncoder().encode('this is a 31 byte text file...\n');

describe('checkImport', () => {
  it('accepts models (by their bytes, whatever the name) and label files', async () => {
    const model = await readFixture('split_concat_edgetpu.tflite');
    expect(checkImport('split_concat_edgetpu.tflite', model)).toBe('model');
    expect(checkImport('renamed.bin', model)).toBe('model');
    expect(checkImport('coco_labels.txt', await readFixture('coco_labels.txt'))).toBe('labels');
    expect(checkImport('fish_ssd_labels.txt', await readFixture('fish_ssd_labels.txt'))).toBe('labels');
  });

  it('refuses an image, naming it an image (so the page can offer it to Live)', async () => {
    expect(refusal('cat.bmp', await readFixture('cat.bmp'))).toEqual({
      reason: 'image-not-model',
      message: 'cat.bmp is a BMP image, not a model or a label file: run a model on it on the Live page',
    });
    expect(refusal('pets.tflite', await readFixture('pets.jpg')).reason).toBe('image-not-model');
  });

  it('refuses a 31-byte text file as a model and as labels, and a model cut short', async () => {
    expect(note.length).toBe(31);
    expect(refusal('notes.tflite', note)).toEqual({
      reason: 'not-a-model',
      message: 'notes.tflite is not a TFLite model: it does not start like one (it is text, 31 bytes)',
    });
    expect(refusal('notes.txt', note).reason).toBe('not-a-label-file');
    expect(refusal('notes', note).reason).toBe('unknown-file-kind');
    const cut = (await readFixture('keras_lstm_mnist_ptq.tflite')).subarray(0, 100);
    expect(refusal('cut.tflite', cut).message).toMatch(/^cut\.tflite is a damaged TFLite model \(/);
    expect(refusal('labels.txt', new Uint8Array([0x61, 0x0a, 0x00, 0x62, 0x0a])).reason).toBe('not-a-label-file');
  });
});

describe('ModelLibrary pairing', () => {
  async function library(names: FixtureName[]): Promise<ModelLibrary> {
    const lib = new ModelLibrary(new MemoryFileCache());
    for (const name of names) await lib.importFile(name, await readFixture(name));
    return lib;
  }

  it('gives a compiled import its CPU twin by name, and refuses a bad import before storing it', async () => {
    const lib = await library(['keras_lstm_mnist_ptq_edgetpu.tflite', 'keras_lstm_mnist_ptq.tflite']);
    await expect(lib.importFile('notes.tflite', note)).rejects.toThrow('is not a TFLite model');
    const files = await lib.files();
    expect(files.map((f) => f.name).sort()).toEqual([
      'keras_lstm_mnist_ptq.tflite',
      'keras_lstm_mnist_ptq_edgetpu.tflite',
    ]);
    const compiled = files.find((f) => f.name === 'keras_lstm_mnist_ptq_edgetpu.tflite')!;
    const cpu = files.find((f) => f.name === 'keras_lstm_mnist_ptq.tflite')!;
    expect(compiled.compiled).toBe(true);
    expect(compiled.cpuTwin).toEqual({ sha256: cpu.sha256, name: cpu.name, by: 'name' });
    expect(cpu.compiled).toBe(false);
    expect(cpu.cpuTwin).toBeUndefined();
  });

  it('pairs by signature, and leaves a compiled model without a fitting twin unpaired', async () => {
    const lib = await library([
      'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
      'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
      'mobilenet_v1_0.25_128_quant.tflite',
    ]);
    const files = await lib.files();
    const twinOf = (name: string) => files.find((f) => f.name.startsWith(name))?.cpuTwin;
    expect(twinOf('mobilenet_v1_0.25_128_quant_cocompiled')).toMatchObject({
      name: 'mobilenet_v1_0.25_128_quant.tflite',
      by: 'signature',
    });
    expect(twinOf('mobilenet_v1_0.5_160_quant_cocompiled')).toBeUndefined();
  });
});
