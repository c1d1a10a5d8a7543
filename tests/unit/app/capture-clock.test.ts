/** Capture times of track frames: the frames' own clock, calibrated against the video's presented frames. */
import { describe, expect, it } from 'vitest';
import { CaptureClock } from '../../../src/app/shared/capture-clock.ts';

/** The frames' clock reads 22,906,050 ms more than absolute time (as Chromium's monotonic clock did here). */
const AHEAD = 22_906_050;
const us = (absoluteMs: number): number => (absoluteMs + AHEAD) * 1000;

describe('CaptureClock', () => {
  it('takes the read time until calibrated, then the capture time the frame carries', () => {
    const clock = new CaptureClock();
    // Frames every 33 ms, each read 3 ms after its capture; the video presents each 12 ms after.
    for (let i = 0; i < 6; i++) {
      const captured = 1000 + i * 33;
      expect(clock.read(us(captured), captured + 3)).toBe(captured + 3);
      expect(clock.calibrated).toBe(false);
      clock.presented(captured);
    }
    expect(clock.calibrated).toBe(true);
    expect(clock.read(us(2000), 2004)).toBeCloseTo(2000, 6);
    // Never later than the frame was read, whatever the stamps say.
    expect(clock.read(us(3010), 3005)).toBe(3005);
  });

  it('is not fooled by frames the reader never got', () => {
    const clock = new CaptureClock();
    // Exactly 33 ms apart; frames 0, 2, 5 and 8 were presented but never read (dropped before the
    // reader got them), so early on the pairings a frame off outnumber the true ones.
    const unread = new Set([0, 2, 5, 8]);
    for (let k = 0; k < 11; k++) {
      const captured = 967 + k * 33;
      if (!unread.has(k)) clock.read(us(captured), captured + 3);
      clock.presented(captured);
      if (k < 7) expect(clock.calibrated).toBe(false);
    }
    expect(clock.calibrated).toBe(true);
    expect(clock.read(us(1400), 1403)).toBeCloseTo(1400, 6);
  });

  it('a slow engine on a steady camera: every other frame never read, the rest read late', () => {
    const clock = new CaptureClock();
    // Exactly 33 ms apart, so pairings one frame off agree with each other as well as the true
    // ones do. Frames read (the even ones) wait in the camera's buffer for the engine, 2 to 30 ms.
    const late = [30, 2, 17, 9, 25, 5, 12, 28];
    for (let k = 0; k < 16; k++) {
      const captured = 1000 + k * 33;
      clock.presented(captured);
      if (k % 2 === 0) clock.read(us(captured), captured + late[k / 2]!);
    }
    expect(clock.calibrated).toBe(true);
    // The true offset: a frame read 40 ms after its capture is said to be captured then.
    expect(clock.read(us(2000), 2040)).toBeCloseTo(2000, 6);
  });

  it('calibrates when the reads are known only after the video presented them (frames read in the worker)', () => {
    const clock = new CaptureClock();
    // Each frame is presented 12 ms after capture; its read (3 ms after capture, in the worker)
    // reaches the page with its answer 25 ms after capture, after the next frame's capture.
    const capture = (k: number): number => 1000 + k * 33 + (k % 3) * 0.7;
    for (let k = 0; k < 8; k++) {
      clock.presented(capture(k));
      if (k > 0) clock.read(us(capture(k - 1)), capture(k - 1) + 3);
    }
    expect(clock.calibrated).toBe(true);
    expect(clock.read(us(capture(7)), capture(7) + 3)).toBeCloseTo(capture(7), 6);
  });

  it('never calibrates without presented frames', () => {
    const clock = new CaptureClock();
    for (let i = 0; i < 20; i++) expect(clock.read(us(i * 33), i * 33 + 4)).toBe(i * 33 + 4);
    expect(clock.calibrated).toBe(false);
  });
});
