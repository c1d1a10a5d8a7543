/** The camera as the Live and Train pages use it: pick a device, start, stop, grab frames. */
import { errorMessage } from './errors.ts';

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
      this.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
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

  stop(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
  }

  /** The current frame as an ImageBitmap, ready to transfer to a worker. */
  async grab(video: HTMLVideoElement): Promise<ImageBitmap | undefined> {
    if (!this.stream || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0)
      return undefined;
    return createImageBitmap(video);
  }
}
