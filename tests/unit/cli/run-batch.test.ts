/**
 * `reef run` over several images, a directory and `--repeat`: the model is loaded once and every
 * image gets one line (one JSON object with --json) carrying the same result a one-image run gives.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { command } from '../../../src/cli/commands/run.ts';
import { summaryLine } from '../../../src/cli/run/summary-line.ts';
import { fixturePath } from '../../support/fixtures.ts';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'reef-run-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Classified {
  image?: string;
  task: string;
  classes: { id: number; label: string; score: number }[];
  ms: number;
  runs?: number;
  msMin?: number;
  msMax?: number;
}

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command.run(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

/** A directory holding copies of fixture images (and a file that is not an image). */
async function imageDir(name: string, images: Record<string, 'cat.bmp' | 'bird.bmp' | 'pets.jpg'>): Promise<string> {
  const path = join(dir, name);
  mkdirSync(path);
  for (const [file, fixture] of Object.entries(images)) copyFileSync(await fixturePath(fixture), join(path, file));
  writeFileSync(join(path, 'README.txt'), 'not an image');
  return path;
}

describe('reef run over several images', () => {
  it('a directory: one JSON object per image, in name order, each equal to its one-image run', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    const images = await imageDir('mixed', {
      'b-cat.bmp': 'cat.bmp',
      'a-bird.bmp': 'bird.bmp',
      'c-pets.JPG': 'pets.jpg',
    });
    const { code, out } = await run(model, images, '--json', '--top-k', '3');
    expect(code).toBe(0);
    const lines = out.map((l) => JSON.parse(l) as Classified);
    expect(lines.map((l) => l.image)).toEqual(['a-bird.bmp', 'b-cat.bmp', 'c-pets.JPG'].map((f) => join(images, f)));
    expect(lines[1]!.classes[0]).toMatchObject({ id: 283, label: 'tiger cat' });
    for (const line of lines) {
      const alone = JSON.parse((await run(model, line.image!, '--json', '--top-k', '3')).out[0]!) as Classified;
      expect(line.classes).toEqual(alone.classes);
    }
  });

  it('several files and --repeat: the median time within the spread of n runs', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    const cat = await fixturePath('cat.bmp');
    const bird = await fixturePath('bird.bmp');
    const { code, out } = await run(model, cat, bird, '--repeat', '4', '--json', '--top-k', '1');
    expect(code).toBe(0);
    expect(out).toHaveLength(2);
    const [first, second] = out.map((l) => JSON.parse(l) as Classified);
    expect(first).toMatchObject({ image: cat, runs: 4 });
    expect(first!.classes[0]!.id).toBe(283);
    expect(second!.image).toBe(bird);
    for (const r of [first!, second!]) {
      expect(r.msMin!).toBeGreaterThan(0);
      expect(r.msMin!).toBeLessThanOrEqual(r.ms);
      expect(r.ms).toBeLessThanOrEqual(r.msMax!);
    }
  });

  it('text: one line per image naming it, the same line summaryLine makes of the JSON', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    const cat = await fixturePath('cat.bmp');
    const { out } = await run(model, cat, cat, '--top-k', '2');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(
      /^\S+cat\.bmp {2}classify: 0\.\d{5} tiger cat \(283\); 0\.\d{5} Egyptian cat \(286\) {2}\[[\d.]+ ms on litert-wasm \(cpu\)\]$/,
    );
    const json = JSON.parse((await run(model, cat, cat, '--top-k', '2', '--json')).out[0]!) as Record<string, unknown>;
    expect(out[0]!.replace(/\[[\d.]+ ms/, '[X ms')).toBe(
      `${cat}  ${summaryLine(json)}`.replace(/\[[\d.]+ ms/, '[X ms'),
    );
  });

  it('segment over two images, one line each with class pixel counts summing to the image', async () => {
    const model = await fixturePath('deeplabv3_mnv2_dm05_pascal_quant.tflite');
    const { out } = await run(
      model,
      await fixturePath('bird_segmentation.bmp'),
      await fixturePath('cat.bmp'),
      '--json',
    );
    const [bird, cat] = out.map((l) => JSON.parse(l) as { classes: { id: number; pixels: number }[] });
    expect(bird!.classes.reduce((n, c) => n + c.pixels, 0)).toBe(513 * 513);
    expect(bird!.classes.find((c) => c.id === 3)!.pixels).toBeGreaterThan(20_000);
    expect(cat!.classes.reduce((n, c) => n + c.pixels, 0)).toBe(512 * 341);
  });

  it('refuses a bad --repeat, an image-less directory and --mask with several images', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    const cat = await fixturePath('cat.bmp');
    for (const repeat of ['0', '-1', '2.5', 'many', '100001']) {
      await expect(run(model, cat, `--repeat=${repeat}`)).rejects.toMatchObject({ reason: 'bad-repeat' });
    }
    const empty = await imageDir('empty', {});
    await expect(run(model, empty)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'no-images' });
    await expect(run(model, cat, cat, '--mask', join(dir, 'm.bmp'))).rejects.toMatchObject({
      reason: 'one-image-only',
    });
    await expect(run(model, cat, '--repeat', '2', '--overlay', join(dir, 'o.bmp'))).rejects.toMatchObject({
      reason: 'one-image-only',
    });
  });

  it('as a command: a missing image stops it before any result; a corrupt one stops it naming the file', async () => {
    const model = await fixturePath('mobilenet_v1_0.25_128_quant.tflite');
    const cat = await fixturePath('cat.bmp');
    const reef = (...args: string[]) =>
      spawnSync('node', ['bin/reef.js', 'run', model, ...args], { cwd: root, encoding: 'utf8' });
    const missing = join(dir, 'missing.bmp');
    const r1 = reef(cat, missing);
    expect(r1.status).toBe(1);
    expect(r1.stdout).toBe('');
    expect(r1.stderr.trim()).toBe(
      `reef run: cannot read ${missing}: no such file or directory [NOT_FOUND/file-unreadable]`,
    );
    const corrupt = join(dir, 'corrupt.bmp');
    writeFileSync(corrupt, new Uint8Array([0x42, 0x4d, 1, 2, 3]));
    // With --json, the failure is a JSON object too, after the results of the images before it.
    const r2 = reef(cat, corrupt, '--json');
    expect(r2.status).toBe(1);
    const [result, failure, ...rest] = r2.stdout.trim().split('\n');
    expect(rest).toEqual([]);
    const printed = JSON.parse(result!) as Classified;
    expect(printed.image).toBe(cat);
    expect(printed.classes[0]!.id).toBe(283);
    const error = (JSON.parse(failure!) as { error: { reason: string; message: string } }).error;
    expect(error.reason).toBe('truncated-image');
    expect(error.message).toContain(corrupt);
  });
});
