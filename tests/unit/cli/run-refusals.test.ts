/**
 * `reef run` on inputs Reef must refuse, as a user runs it (a child process): exit code 1, one
 * readable typed line on stderr, nothing on stdout, so no classification is ever printed after a
 * failure. Models and images are generated here, written to a temporary directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../support/fixtures.ts';
import { hugeInputModel, noInputModel, softmaxModel } from '../runtime/hostile-models.ts';
import { pngClaiming } from '../tasks/image-generators.ts';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'reef-run-refusals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function reefRun(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/reef.js', 'run', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function expectRefusal(args: string[], line: RegExp): Promise<void> {
  const { code, stdout, stderr } = await reefRun(...args);
  expect(stdout).toBe('');
  expect(code).toBe(1);
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('reef run refuses, with one typed line and no result', () => {
  it('a model LiteRT refuses to prepare (int8 SOFTMAX, output zero point 0), also with --json', async () => {
    const model = file('softmax.tflite', softmaxModel(0));
    const image = await fixturePath('cat.bmp');
    const line =
      /^reef run: LiteRT could not prepare op 0 \(SOFTMAX\): output->params\.zero_point != -128 \(0 != -128\) \[INVALID_ARGUMENT\/litert-prepare-failed\]$/;
    await expectRefusal([model, image], line);
    // With --json the same refusal is one JSON object on stdout, for the script reading it.
    const json = await reefRun(model, image, '--json');
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        reason: 'litert-prepare-failed',
        message: 'LiteRT could not prepare op 0 (SOFTMAX): output->params.zero_point != -128 (0 != -128)',
      },
    });
  }, 60_000);

  it('a 352-byte model whose input claims 1×20000×20000×3', async () => {
    await expectRefusal(
      [file('huge.tflite', hugeInputModel()), await fixturePath('cat.bmp')],
      /^reef run: tensor 0 'in' \[1×20000×20000×3\] has 1,200,000,000 elements; Reef refuses tensors above 33,554,432 \[RESOURCE_EXHAUSTED\/tensor-too-large\]$/,
    );
  }, 60_000);

  it('a model with no inputs', async () => {
    await expectRefusal(
      [file('no-input.tflite', noInputModel()), await fixturePath('cat.bmp'), '--task', 'classify'],
      /^reef run: the model has no inputs: .* \[INVALID_ARGUMENT\/no-inputs\]$/,
    );
  }, 60_000);

  it('a PNG whose header claims 20000×20000, and a truncated JPEG', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    await expectRefusal(
      [model, file('big.png', pngClaiming(20000, 20000))],
      /^reef run: .*big\.png: 20000×20000 is 400,000,000 pixels; .* \[RESOURCE_EXHAUSTED\/image-too-large\]$/,
    );
    await expectRefusal(
      [model, file('cut.jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]))],
      /^reef run: .*cut\.jpg: JPEG: no frame header .* \[INVALID_ARGUMENT\/truncated-image\]$/,
    );
  }, 60_000);
});
