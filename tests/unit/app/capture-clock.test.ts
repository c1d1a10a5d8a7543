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
    for (let i = 0; i < 3; i++) {
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

  it('is not fooled by a frame the reader never got: matches must agree', () => {
    const clock = new CaptureClock();
    // Presented before anything was read: no match.
    clock.presented(967);
    clock.read(us(1000), 1003);
    clock.presented(1000);
    // Frame 1 (1033) was dropped before the page read it, but the video presented it: its
    // presentation matches frame 2, a frame interval off.
    clock.read(us(1066), 1069);
    clock.presented(1033);
    clock.presented(1066);
    clock.read(us(1099), 1102);
    clock.presented(1099);
    // Of the last three matches one is wrong: not calibrated yet.
    expect(clock.calibrated).toBe(false);
    expect(clock.read(us(1132), 1135)).toBe(1135);
    clock.presented(1132);
    expect(clock.calibrated).toBe(true);
    expect(clock.read(us(1165), 1168)).toBeCloseTo(1165, 6);
  });

  it('never calibrates without presented frames', () => {
    const clock = new CaptureClock();
    for (let i = 0; i < 20; i++) expect(clock.read(us(i * 33), i * 33 + 4)).toBe(i * 33 + 4);
    expect(clock.calibrated).toBe(false);
  });
});
