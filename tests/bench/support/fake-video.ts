/**
 * A Y4M video for Chromium's fake camera (`--use-file-for-fake-video-capture`) made from fixture
 * images: each letterboxed into 640×480 like a webcam picture, converted to I420 (BT.601, studio
 * range) and shown for `framesEach` frames at `fps`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeBmp, fitImage } from '../../../src/lib/tasks/index.ts';
import { readFixture, type FixtureName } from '../../support/fixtures.ts';

const WIDTH = 640;
const HEIGHT = 480;

function toI420(rgba: Uint8Array | Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array((WIDTH * HEIGHT * 3) / 2);
  const u0 = WIDTH * HEIGHT;
  const v0 = u0 + (WIDTH * HEIGHT) / 4;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const p = (y * WIDTH + x) * 4;
      out[y * WIDTH + x] = Math.round(16 + 0.257 * rgba[p]! + 0.504 * rgba[p + 1]! + 0.098 * rgba[p + 2]!);
    }
  }
  for (let y = 0; y < HEIGHT / 2; y++) {
    for (let x = 0; x < WIDTH / 2; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = ((2 * y + dy) * WIDTH + 2 * x + dx) * 4;
        r += rgba[p]! / 4;
        g += rgba[p + 1]! / 4;
        b += rgba[p + 2]! / 4;
      }
      const i = y * (WIDTH / 2) + x;
      out[u0 + i] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      out[v0 + i] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  return out;
}

export async function writeFakeVideo(file: string, images: FixtureName[], framesEach = 15, fps = 30): Promise<void> {
  const frames: Uint8Array[] = [];
  for (const name of images) {
    const image = decodeBmp(await readFixture(name));
    const { pixels } = fitImage(image, { width: WIDTH, height: HEIGHT, channels: 3 }, 'letterbox');
    frames.push(toI420(pixels.data));
  }
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const marker = Buffer.from('FRAME\n');
  const parts: Uint8Array[] = [header];
  for (const frame of frames) for (let i = 0; i < framesEach; i++) parts.push(marker, frame);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, Buffer.concat(parts));
}
