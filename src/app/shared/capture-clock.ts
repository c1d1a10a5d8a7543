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

/** Frames read, and capture instants presented, kept to find the offset. */
const RECENT = 12;
/** Pairs that must agree (within AGREE_MS) on an offset before it is used. */
const MATCHES = 3;
const AGREE_MS = 1;
/** Frames read and instants presented needed before deciding: a pairing a frame off must not win early. */
const MIN_SEEN = 6;
/** A capture time may come after the read by this much (the two clocks' rounding), no more. */
const CAUSAL_SLACK_MS = 0.5;

export class CaptureClock {
  #offset: number | undefined;
  readonly #recent: { stamp: number; readAt: number }[] = [];
  readonly #presented: number[] = [];

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
    if (this.#offset === undefined) {
      this.#recent.push({ stamp, readAt });
      if (this.#recent.length > RECENT) this.#recent.shift();
      this.#calibrate();
    }
    if (this.#offset === undefined) return readAt;
    return Math.min(readAt, stamp + this.#offset);
  }

  /** The video presented a frame captured at `capturedAt` (absolute ms, from requestVideoFrameCallback). */
  presented(capturedAt: number): void {
    if (this.#offset !== undefined) return;
    this.#presented.push(capturedAt);
    if (this.#presented.length > RECENT) this.#presented.shift();
    this.#calibrate();
  }

  /**
   * Which read frame a presented instant was is not known: frames the reader never got (dropped
   * while the engine was busy) were presented all the same, and reads may reach the page after the
   * presentation (frames read in the worker come with their answers). So every pairing of a
   * presented instant with a read frame proposes an offset; the true one is proposed by every frame
   * both saw, within the clocks' rounding. Pairings a frame apart propose offsets a frame interval
   * off, and a steady camera can make them agree too: of the offsets proposed by MATCHES pairs, the
   * latest under which no frame was captured after it was read is the one — the next later one
   * would put some frame's capture after its read, as a frame read within an interval of its
   * capture shows.
   */
  #calibrate(): void {
    if (this.#recent.length < MIN_SEEN || this.#presented.length < MIN_SEEN) return;
    const proposals: number[] = [];
    for (const capturedAt of this.#presented) for (const f of this.#recent) proposals.push(capturedAt - f.stamp);
    proposals.sort((a, b) => a - b);
    let best: number | undefined;
    for (let i = 0; i + MATCHES - 1 < proposals.length; i++) {
      // MATCHES proposals in a row (sorted) within AGREE_MS: their middle one is a candidate.
      if (proposals[i + MATCHES - 1]! - proposals[i]! > AGREE_MS) continue;
      const offset = proposals[i + Math.floor(MATCHES / 2)]!;
      if (!this.#recent.every((f) => f.stamp + offset <= f.readAt + CAUSAL_SLACK_MS)) continue;
      // A candidate within AGREE_MS of the best is the same offset, not a later one.
      if (best === undefined || offset > best + AGREE_MS) best = offset;
    }
    this.#offset = best;
  }
}
