/** The worker's reusable buffers for camera frames' planes (frame-buffers.ts). */
import { describe, expect, it } from 'vitest';
import { FrameBuffers } from '../../../src/worker/frame-buffers.ts';

describe('frame buffers', () => {
  it('gives a buffer back for the next frame of the same size', () => {
    const pool = new FrameBuffers();
    const first = pool.take(460_800);
    expect(first.length).toBe(460_800);
    pool.give(first);
    expect(pool.take(460_800)).toBe(first);
  });

  it('never hands one buffer to two frames in preprocessing at once', () => {
    const pool = new FrameBuffers();
    pool.give(new Uint8Array(100));
    const a = pool.take(100);
    const b = pool.take(100);
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(b);
    const again = [pool.take(100), pool.take(100)];
    expect(new Set(again)).toEqual(new Set([a, b]));
  });

  it('allocates for a new size and keeps at most `keep` free buffers, the newest', () => {
    const pool = new FrameBuffers(2);
    const small = new Uint8Array(10);
    pool.give(small);
    const big = pool.take(20);
    expect(big).not.toBe(small);
    expect(big.length).toBe(20);
    const [x, y] = [new Uint8Array(30), new Uint8Array(30)];
    pool.give(x);
    pool.give(y);
    // The 10-byte buffer was dropped for the two newer ones.
    expect(pool.take(10)).not.toBe(small);
    expect(new Set([pool.take(30), pool.take(30)])).toEqual(new Set([x, y]));
  });
});
