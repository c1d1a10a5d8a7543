/** The camera as the Live, Train and Kiosk pages use it: pick a device, start, stop, grab frames. */
import { withDeadline } from '../../lib/deadline.ts';
import { errorMessage } from './errors.ts';

/** How long the browser may take to open a camera before the start counts as failed. */
const START_TIMEOUT_MS = 10_000;
/**
 * A started camera that sends no frame for this long is restarted: a capture device that was just
 * released elsewhere can open without ever delivering a picture, and the pages would wait forever.
 */
const STALL_MS = 4_000;

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

export class CameraState {
  devices = $state<{ id: string; label: string }[]>([]);
  deviceId = $state('');
  stream = $state.raw<MediaStream | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  starting = $state(false);
  active = $derived(this.stream !== undefined);

  async start(deviceId = this.deviceId): Promise<void> {
    this.stop();
    this.starting = true;
    this.error = undefined;
    try {
      const video: MediaTrackConstraints = deviceId
        ? { deviceId: { exact: deviceId } }
        : { facingMode: 'environment', width: { ideal: 640 }, height: { ideal: 480 } };
      const opening = navigator.mediaDevices.getUserMedia({ video, audio: false });
      this.stream = await withDeadline(
        opening,
        START_TIMEOUT_MS,
        `The camera did not start within ${START_TIMEOUT_MS / 1000} s. Check that no other app is using it.`,
        'camera-timeout',
      ).catch((error: unknown) => {
        // A camera that opens after all would stay on with nobody showing it.
        opening.then(stopTracks, () => undefined);
        throw error;
      });
      this.#noFrameSince = undefined;
      this.deviceId = this.stream.getVideoTracks()[0]?.getSettings().deviceId ?? deviceId;
      // Labels are only readable once permission was granted, so list devices after starting.
      const all = await navigator.mediaDevices.enumerateDevices();
      this.devices = all
        .filter((d) => d.kind === 'videoinput')
        .map((d, i) => ({ id: d.deviceId, label: d.label || `Camera ${i + 1}` }));
    } catch (error) {
      this.error =
        error instanceof DOMException && error.name === 'NotAllowedError'
          ? 'Camera permission was denied. Allow the camera in the address bar, or pick an image file instead.'
          : error instanceof DOMException && error.name === 'NotFoundError'
            ? 'No camera was found. Pick an image file instead.'
            : errorMessage(error);
    } finally {
      this.starting = false;
    }
  }

  /** The started camera's video track (a new one after each start). */
  get track(): MediaStreamTrack | undefined {
    return this.stream?.getVideoTracks()[0];
  }

  stop(): void {
    if (this.stream) stopTracks(this.stream);
    this.stream = undefined;
  }

  #noFrameSince: number | undefined;

  /**
   * The current frame as an ImageBitmap, ready to transfer to a worker; undefined while the video
   * has none yet. A camera stalled for STALL_MS is nudged to play and then restarted.
   */
  async grab(video: HTMLVideoElement): Promise<ImageBitmap | undefined> {
    if (!this.stream) return undefined;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) {
      const now = performance.now();
      this.#noFrameSince ??= now;
      if (video.paused && video.srcObject) {
        // Autoplay can be held back (hidden or off-screen video); playing it is always allowed muted.
        video.play().catch(() => undefined);
      }
      if (now - this.#noFrameSince > STALL_MS && !this.starting) await this.start(this.deviceId);
      return undefined;
    }
    this.#noFrameSince = undefined;
    return createImageBitmap(video);
  }
}
