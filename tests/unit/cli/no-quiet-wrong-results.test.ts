/**
 * The CLI never prints a wrong result quietly (issue 15): a CPU twin that does not match, a twin
 * found beside the file, labels that do not fit the output, a classifier given as an extractor,
 * mistyped options, `--json` failures, a .tflite given to `quantize`, `list` without USB. Each
 * runs the CLI as a person does (a child process) on the real fixtures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, type FixtureName } from '../../support/fixtures.ts';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'reef-no-quiet-wrong-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function reef(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/reef.js', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A folder holding links to fixtures under chosen names (fixtures are never copied). */
async function folder(name: string, links: Record<string, FixtureName>): Promise<string> {
  const path = join(dir, name);
  mkdirSync(path);
  for (const [as, fixture] of Object.entries(links)) symlinkSync(await fixturePath(fixture), join(path, as));
  return path;
}

function jsonError(out: string): { code: string; reason: string | null; message: string } {
  const lines = out.trim().split('\n');
  expect(lines).toHaveLength(1);
  const parsed = JSON.parse(lines[0]!) as { error: { code: string; reason: string | null; message: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  return parsed.error;
}

let f: Record<string, string>;
beforeAll(async () => {
  const names = [
    'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
    'mobilenet_v1_0.25_128_quant.tflite',
    'mobilenet_v1_0.5_160_quant.tflite',
    'keras_lstm_mnist_ptq_edgetpu.tflite',
    'keras_lstm_mnist_ptq.tflite',
    'imagenet_labels.txt',
    'coco_labels.txt',
    'cat.bmp',
    'mnist_nine.bmp',
  ] as const;
  f = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await fixturePath(n)] as const)));
});

describe('--cpu-twin is checked against the compiled model', () => {
  it('refuses a twin with other inputs, naming both signatures, and prints no result', async () => {
    const r = await reef(
      'run',
      f['mobilenet_v1_0.25_128_quant_edgetpu.tflite']!,
      f['cat.bmp']!,
      '--cpu-twin',
      f['mobilenet_v1_0.5_160_quant.tflite']!,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'mobilenet_v1_0.5_160_quant.tflite is not the CPU twin of mobilenet_v1_0.25_128_quant_edgetpu.tflite: input "input" is [1,128,128,3], not [1,160,160,3]',
    );
    expect(r.stderr).toContain(
      'mobilenet_v1_0.25_128_quant_edgetpu.tflite: input uint8[1,128,128,3] q(0.0078125, 128) → MobilenetV1/Predictions/Reshape_1 uint8[1,1001]',
    );
    expect(r.stderr).toContain('mobilenet_v1_0.5_160_quant.tflite: input uint8[1,160,160,3] q(0.0078125, 128)');
    expect(r.stderr).toContain('[INVALID_ARGUMENT/twin-mismatch]');
  });

  it('the same in reef bench, and as JSON with --json', async () => {
    const r = await reef(
      'bench',
      f['keras_lstm_mnist_ptq_edgetpu.tflite']!,
      '--device',
      'cpu',
      '--cpu-twin',
      f['mobilenet_v1_0.25_128_quant.tflite']!,
      '--json',
    );
    expect(r.code).toBe(1);
    const error = jsonError(r.stdout);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.reason).toBe('twin-mismatch');
    expect(error.message).toContain('serving_default_x:0 uint8[1,28,28]');
    expect(error.message).toContain('input uint8[1,128,128,3]');
  });

  it('accepts the real twin and runs the compiled model on the CPU with it', async () => {
    const r = await reef(
      'run',
      f['keras_lstm_mnist_ptq_edgetpu.tflite']!,
      f['mnist_nine.bmp']!,
      '--cpu-twin',
      f['keras_lstm_mnist_ptq.tflite']!,
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { classes: { id: number }[] };
    expect(out.classes[0]!.id).toBe(9);
  });
});

describe('reef run finds the twin beside the file by name', () => {
  it('x_edgetpu.tflite runs on the CPU with x.tflite from the same folder, and says so', async () => {
    const beside = await folder('beside', {
      'keras_lstm_mnist_ptq_edgetpu.tflite': 'keras_lstm_mnist_ptq_edgetpu.tflite',
      'keras_lstm_mnist_ptq.tflite': 'keras_lstm_mnist_ptq.tflite',
    });
    const r = await reef('run', join(beside, 'keras_lstm_mnist_ptq_edgetpu.tflite'), f['mnist_nine.bmp']!);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`CPU twin: ${join(beside, 'keras_lstm_mnist_ptq.tflite')} (beside the model`);
    expect(r.stdout.split('\n')[1]).toMatch(/^\d\.\d{5} {2}9 \(9\)$/);
  });

  it('without the twin the compiled model is refused, not run on nothing', async () => {
    const alone = await folder('alone', {
      'keras_lstm_mnist_ptq_edgetpu.tflite': 'keras_lstm_mnist_ptq_edgetpu.tflite',
    });
    const r = await reef('run', join(alone, 'keras_lstm_mnist_ptq_edgetpu.tflite'), f['mnist_nine.bmp']!);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('a file with the twin’s name but other inputs is an error, not a silent wrong twin', async () => {
    const wrong = await folder('wrong', {
      'mobilenet_v1_0.25_128_quant_edgetpu.tflite': 'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
      'mobilenet_v1_0.25_128_quant.tflite': 'mobilenet_v1_0.5_160_quant.tflite',
    });
    const r = await reef('run', join(wrong, 'mobilenet_v1_0.25_128_quant_edgetpu.tflite'), f['cat.bmp']!);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('is [1,128,128,3], not [1,160,160,3]');
  });
});

describe('--labels must fit the output', () => {
  it('90 COCO labels on a 1001-class classifier: a warning, and an error with --strict', async () => {
    const args = ['run', f['mobilenet_v1_0.25_128_quant.tflite']!, f['cat.bmp']!, '--labels', f['coco_labels.txt']!];
    const warned = await reef(...args);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(
      "coco_labels.txt has 90 labels but the model's output has 1001 classes, so results would be named wrongly",
    );
    const strict = await reef(...args, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('[INVALID_ARGUMENT/labels-mismatch]');
  });

  it('ImageNet labels on the same model: no warning', async () => {
    const r = await reef(
      'run',
      f['mobilenet_v1_0.25_128_quant.tflite']!,
      f['cat.bmp']!,
      '--labels',
      f['imagenet_labels.txt']!,
      '--strict',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('reef train --extractor', () => {
  it('refuses a full classifier: its output is class scores, not an embedding', async () => {
    const data = await folder('train-data', {});
    for (const model of ['mobilenet_v1_0.25_128_quant.tflite', 'mobilenet_v1_0.25_128_quant_edgetpu.tflite']) {
      const r = await reef('train', '--extractor', f[model]!, '--data', data, '--out', join(dir, 'out.tflite'));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${model} is a full classifier (its output [1,1001] is class scores, not an embedding)`,
      );
      expect(r.stderr).toContain('[INVALID_ARGUMENT/not-an-extractor]');
      expect(existsSync(join(dir, 'out.tflite'))).toBe(false);
    }
  });
});

describe('options', () => {
  it('every command names an unknown option and the one meant', async () => {
    const flash = await reef('flash', '--jsn');
    expect(flash.code).toBe(1);
    expect(flash.stderr).toContain('reef flash: unknown option --jsn; the options are --device, --firmware, --trace');
    for (const command of ['inspect', 'list', 'bench', 'doctor', 'run', 'train', 'quantize']) {
      const r = await reef(command, '--jsn');
      expect(r.code, command).toBe(1);
      expect(r.stdout, command).toBe('');
      expect(r.stderr, command).toMatch(
        new RegExp(
          `^reef ${command}: unknown option --jsn; did you mean --json\\? \\[INVALID_ARGUMENT/unknown-option\\]`,
        ),
      );
    }
    const far = await reef('run', 'm.tflite', 'x.bmp', '--zzzzzz');
    expect(far.stderr).toContain('unknown option --zzzzzz; the options are --task, --labels, --top-k');
    expect((await reef('run', 'm.tflite', 'x.bmp', '--lables', 'l.txt')).stderr).toContain('did you mean --labels?');
  });

  it('--json failures are one JSON error object on stdout with a non-zero exit', async () => {
    const missing = join(dir, 'no-such.tflite');
    for (const args of [
      ['run', missing, f['cat.bmp']!, '--json'],
      ['inspect', missing, '--json'],
      ['bench', missing, '--device', 'cpu', '--json'],
      ['train', '--extractor', missing, '--data', dir, '--out', join(dir, 'x.tflite'), '--json'],
    ]) {
      const r = await reef(...args);
      expect(r.code, args[0]).toBe(1);
      expect(jsonError(r.stdout)).toEqual({
        code: 'NOT_FOUND',
        reason: 'file-unreadable',
        message: `cannot read ${missing}: no such file or directory`,
      });
    }
    const typo = await reef('run', '--jsn', '--json');
    expect(typo.code).toBe(1);
    expect(jsonError(typo.stdout)).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'unknown-option',
      message: 'unknown option --jsn; did you mean --json?',
    });
    const usage = await reef('quantize', '--json');
    expect(usage.code).toBe(2);
    expect(jsonError(usage.stdout).reason).toBe('usage');
  });
});

describe('reef quantize', () => {
  it('on a .tflite says it expects a tfjs model.json', async () => {
    const r = await reef(
      'quantize',
      f['mobilenet_v1_0.25_128_quant.tflite']!,
      '--data',
      dir,
      '--out',
      join(dir, 'q.tflite'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'mobilenet_v1_0.25_128_quant.tflite is a TFLite model; reef quantize expects a tfjs layers model.json',
    );
    expect(r.stderr).not.toContain('not valid JSON');
    expect(r.stderr).toContain('[INVALID_ARGUMENT/not-a-tfjs-model]');
  });
});

describe('reef list', () => {
  it('without /sys/bus/usb says USB is not visible here and gives no udev advice; with it, the udev rules', async () => {
    const r = await reef('list');
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    // Both branches are asserted: which one runs depends on where the tests run (a container or not).
    if (existsSync('/sys/bus/usb')) {
      expect(text).not.toContain('USB is not visible here');
    } else {
      expect(text).toContain('USB is not visible here: there is no /sys/bus/usb');
      expect(text).not.toContain('udev');
    }
  });
});
