/**
 * When a camera frame read from a MediaStreamTrackProcessor was captured, in absolute ms
 * (performance.timeOrigin + now()).
 *
 * Measured in Chromium 156 (fake camera, 60 frames): a camera VideoFrame's `timestamp` is its
 * capture time in µs on the system's monotonic clock — not performance's timebase (it differs by a
 * constant, the clock's value at the page's time origin, which the page cannot read) — and
 * `metadata()` is empty. requestVideoFrameCallback's `captureTime` is the same capture instant in
 * performance's timebase (it differs from the track's frame timestamps by one constant to 0.1 ms).
 * So the video's presented frames calibrate the offset between the two clocks; until then, or
 * where `captureTime` is missing, a frame counts as captured when it was read, which is later than
 * the truth by the camera's delivery (2–4 ms here).
 */

/** Frames read recently, to find the one a presented frame was. */
const RECENT = 8;
/** Matches that must agree (within AGREE_MS) before the offset is used: a wrong match is off by a frame interval. */
const MATCHES = 3;
const AGREE_MS = 1;

export class CaptureClock {
  #offset: number | undefined;
  #matches: number[] = [];
  readonly #recent: { stamp: number; readAt: number }[] = [];

  /** The offset between the frames' clock and absolute time is known. */
  get calibrated(): boolean {
    return this.#offset !== undefined;
  }

  /**
   * A frame read from the track: its `timestamp` (µs) and when it was read (absolute ms).
   * Returns its capture time (absolute ms), never later than when it was read.
   */
  read(timestampUs: number, readAt: number): number {
    const stamp = timestampUs / 1000;
    this.#recent.push({ stamp, readAt });
    if (this.#recent.length > RECENT) this.#recent.shift();
    if (this.#offset === undefined) return readAt;
    return Math.min(readAt, stamp + this.#offset);
  }

  /** The video presented a frame captured at `capturedAt` (absolute ms, from requestVideoFrameCallback). */
  presented(capturedAt: number): void {
    if (this.#offset !== undefined) return;
    // The camera delivers in order, in far less than a frame interval: the first frame read after
    // this capture instant is this frame. (One not read yet, or dropped, makes a match that the
    // next ones disagree with.)
    let match: { stamp: number; readAt: number } | undefined;
    for (const f of this.#recent) if (f.readAt >= capturedAt && (!match || f.readAt < match.readAt)) match = f;
    if (!match) return;
    this.#matches.push(capturedAt - match.stamp);
    const last = this.#matches.slice(-MATCHES);
    if (last.length < MATCHES || Math.max(...last) - Math.min(...last) > AGREE_MS) return;
    this.#offset = last.sort((a, b) => a - b)[Math.floor(MATCHES / 2)];
  }
}
