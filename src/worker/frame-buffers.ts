/**
 * Buffers for camera frames' YUV planes, reused from frame to frame. VideoFrame.copyTo into a
 * fresh 460 KB buffer took 0.32 ms against 0.12 ms into one used before (Chromium 156, 640×480
 * I420 from the fake camera, `npm run bench -- yuv-tensor`): a new buffer's pages are first
 * touched by the copy. A buffer is taken for one frame and given back once the frame's input
 * tensor is made, so frames preprocessed at once (a segment pipeline) never share one.
 */
export class FrameBuffers {
  readonly #free: Uint8Array[] = [];
  readonly #keep: number;

  /** `keep`: free buffers held at most (one per frame the worker preprocesses at a time). */
  constructor(keep = 2) {
    this.#keep = keep;
  }

  take(size: number): Uint8Array {
    const i = this.#free.findIndex((b) => b.length === size);
    return i >= 0 ? this.#free.splice(i, 1)[0]! : new Uint8Array(size);
  }

  give(buffer: Uint8Array): void {
    // The oldest goes first: after a camera or resolution change its size is no longer asked for.
    if (this.#free.length >= this.#keep) this.#free.shift();
    this.#free.push(buffer);
  }
}
