/** `reef train` and `reef quantize` end to end on fixture images in a temporary folder. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { command as quantize } from '../../../src/cli/commands/quantize.ts';
import { command as train } from '../../../src/cli/commands/train.ts';
import { buildSmallCnn, saveTfjsModel, tf } from '../../../src/lib/learn/index.ts';
import { inspectModel } from '../../../src/lib/edgetpu/executable/index.ts';
import { readModel } from '../../../src/lib/tflite/index.ts';
import { fixturePath } from '../../support/fixtures.ts';
import { loadLiteRtModel } from './litert-harness.ts';

vi.setConfig({ testTimeout: 180_000 });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('reef train / reef quantize', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reef-learn-'));
    const classes = {
      cat: ['cat.bmp', 'imprinting_cat_train_0.bmp'],
      bird: ['bird.bmp'],
      person: ['grace_hopper.bmp', 'squat.bmp'],
    } as const;
    for (const [name, files] of Object.entries(classes)) {
      mkdirSync(join(dir, 'data', name), { recursive: true });
      for (const f of files) copyFileSync(await fixturePath(f), join(dir, 'data', name, f));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('train composes onto the compiled extractor (embedding with its CPU twin) and prints the JSON summary', async () => {
    const { io, out } = capture();
    const extractor = await fixturePath('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite');
    const code = await train.run(
      [
        '--extractor',
        extractor,
        '--data',
        join(dir, 'data'),
        '--out',
        join(dir, 'head.tflite'),
        '--method',
        'imprint',
        '--json',
      ],
      io,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out[0]!) as {
      classes: string[];
      train: { accuracy: number };
      validation: { accuracy: number | null };
      ms: number;
    };
    expect(summary.classes).toEqual(['bird', 'cat', 'person']);
    expect(summary.train.accuracy).toBe(1);
    expect(Object.keys(summary).sort()).toEqual(['classes', 'ms', 'train', 'validation']);
    const inspection = inspectModel(new Uint8Array(readFileSync(join(dir, 'head.tflite'))));
    expect(inspection.segments.map((s) => s.placement)).toEqual(['tpu', 'cpu']);
    expect(inspection.labels).toEqual(['bird', 'cat', 'person']);
    // The page's second export too: the same head on the CPU twin, all on the CPU, labels embedded.
    const cpu = inspectModel(new Uint8Array(readFileSync(join(dir, 'head_cpu.tflite'))));
    expect(cpu.segments.map((s) => s.placement)).toEqual(['cpu']);
    expect(cpu.labels).toEqual(['bird', 'cat', 'person']);
  });

  it('train --device: usb needs a compiled extractor, anything else is refused by name', async () => {
    const twin = await fixturePath('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    const base = ['--extractor', twin, '--data', join(dir, 'data'), '--out', join(dir, 'x.tflite')];
    await expect(train.run([...base, '--device', 'gpu'], capture().io)).rejects.toMatchObject({ reason: 'bad-device' });
    await expect(train.run([...base, '--device', 'usb:0'], capture().io)).rejects.toMatchObject({
      reason: 'extractor-not-compiled',
    });
  });

  it('train refuses a compiled extractor without a CPU twin, and bad options', async () => {
    const compiled = join(dir, 'lonely_edgetpu.tflite');
    copyFileSync(await fixturePath('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite'), compiled);
    await expect(
      train.run(['--extractor', compiled, '--data', join(dir, 'data'), '--out', join(dir, 'x.tflite')], capture().io),
    ).rejects.toMatchObject({ reason: 'needs-cpu-twin' });
    await expect(
      train.run(['--extractor', compiled, '--data', dir, '--out', 'x', '--method', 'magic'], capture().io),
    ).rejects.toMatchObject({ reason: 'bad-method' });
    expect(await train.run(['--data', dir], capture().io)).toBe(2);
  });

  it('quantize turns a tfjs model.json into a full-int8 model that passes the Edge TPU check', async () => {
    await tf.setBackend('cpu');
    const model = buildSmallCnn({ numClasses: 3, size: 16, batchNorm: true, blocks: 2, width: 4 });
    const files = await saveTfjsModel(model);
    model.dispose();
    writeFileSync(join(dir, 'model.json'), files.modelJson);
    writeFileSync(join(dir, 'weights.bin'), files.weights);
    const { io, out } = capture();
    const code = await quantize.run(
      [join(dir, 'model.json'), '--data', join(dir, 'data'), '--out', join(dir, 'q.tflite'), '--json'],
      io,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out[0]!) as { edgetpuCompatible: boolean; unsupported: unknown[]; ms: number };
    expect(summary.edgetpuCompatible).toBe(true);
    expect(summary.unsupported).toEqual([]);
    const q = readModel(new Uint8Array(readFileSync(join(dir, 'q.tflite'))));
    const input = q.subgraphs[0]!.tensors[q.subgraphs[0]!.inputs[0]!]!;
    expect(input.dtype).toBe('uint8');
    expect(input.shape).toEqual([1, 16, 16, 3]);
    // Runs in the WASM engine on raw pixels (input scale 1/255, zero point 0).
    const lite = await loadLiteRtModel(new Uint8Array(readFileSync(join(dir, 'q.tflite'))));
    const scores = await lite.run(new Uint8Array(16 * 16 * 3).fill(128));
    lite.delete();
    expect(scores.length).toBe(3);
    expect(Array.from(scores as Uint8Array).reduce((a, b) => a + b, 0)).toBeGreaterThan(240);

    rmSync(join(dir, 'weights.bin'));
    await expect(
      quantize.run(
        [join(dir, 'model.json'), '--data', join(dir, 'data'), '--out', join(dir, 'q2.tflite')],
        capture().io,
      ),
    ).rejects.toMatchObject({ reason: 'weights-missing' });
    await expect(
      quantize.run([join(dir, 'model.json'), '--data', dir, '--out', 'x', '--calibration', 'median'], capture().io),
    ).rejects.toMatchObject({ reason: 'bad-calibration' });
  });

  it('quantize takes a Teachable Machine export ZIP directly: labels embedded, Edge TPU check, agreement printed', async () => {
    await tf.setBackend('cpu');
    // TM's shape in small: a model nested in a Sequential, then a Dense head; metadata says 32 px.
    const body = buildSmallCnn({ numClasses: 3, size: 32, batchNorm: true, blocks: 2, width: 4 });
    const model = tf.sequential({ layers: [body] });
    const files = await saveTfjsModel(model);
    model.dispose();
    const metadata = { packageName: '@teachablemachine/image', labels: ['bird', 'cat', 'person'], imageSize: 32 };
    writeFileSync(
      join(dir, 'tm.zip'),
      zipSync({
        'model.json': strToU8(files.modelJson),
        'weights.bin': files.weights,
        'metadata.json': strToU8(JSON.stringify(metadata)),
      }),
    );
    const { io, out } = capture();
    const code = await quantize.run(
      [join(dir, 'tm.zip'), '--data', join(dir, 'data'), '--out', join(dir, 'tm.tflite'), '--json'],
      io,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out[0]!) as {
      labels: string[];
      edgetpuCompatible: boolean;
      agreement: { agree: number; total: number; top1: number };
    };
    expect(summary.labels).toEqual(['bird', 'cat', 'person']);
    expect(summary.edgetpuCompatible).toBe(true);
    expect(summary.agreement.total).toBe(5);
    expect(summary.agreement.top1).toBeGreaterThanOrEqual(0.8);
    const q = readModel(new Uint8Array(readFileSync(join(dir, 'tm.tflite'))));
    expect(q.labels).toEqual(['bird', 'cat', 'person']);
    const dtypes = (m: typeof q) => {
      const g = m.subgraphs[0]!;
      return [g.tensors[g.inputs[0]!]!.dtype, g.tensors[g.outputs[0]!]!.dtype];
    };
    expect(dtypes(q)).toEqual(['uint8', 'uint8']);
    // The CPU model beside it (default --cpu-out: tm_cpu.tflite): float I/O, same labels, measured too.
    const cpu = readModel(new Uint8Array(readFileSync(join(dir, 'tm_cpu.tflite'))));
    expect(cpu.labels).toEqual(['bird', 'cat', 'person']);
    expect(dtypes(cpu)).toEqual(['float32', 'float32']);
    expect(JSON.parse(out[0]!)).toMatchObject({ cpuModel: join(dir, 'tm_cpu.tflite'), cpuAgreement: { total: 5 } });
  });
});
