/**
 * The yardstick for a model compiled in two segments (SSD MobileNet v2): its detections computed
 * straight through the lib — each segment on one virtual Coral through the driver, its CPU ops in
 * LiteRT, then the detect task (letterbox, threshold 0.4) — with none of the worker, the page or the
 * CLI that the tests check. Shared by the worker, CLI and Live tests of segment sets.
 */
import { nodeLiteRtLoader } from '../../src/cli/litert-node.ts';
import { DevicePool } from '../../src/lib/edgetpu/index.ts';
import { LiteRtRuntime, PartitionedEngine } from '../../src/lib/runtime/index.ts';
import { detect, imageToTensor, type DetectedObject, type Labels, type RgbaImage } from '../../src/lib/tasks/index.ts';
import type { CoralFarm } from '../emulator/multi.ts';
import type { FixtureName } from './fixtures.ts';

export interface SegmentDetectionOptions {
  /** The farm's Coral both segments run on, one after the other. */
  device: string;
  labels?: Labels;
  /** A runtime to share (kept); otherwise one is made and discarded. */
  runtime?: LiteRtRuntime;
}

/** Per image, the detections (in its pixels) of `segments` run in turn on `options.device` of `farm`. */
export async function segmentSetDetections(
  farm: CoralFarm,
  segments: readonly [FixtureName, FixtureName],
  images: readonly RgbaImage[],
  options: SegmentDetectionOptions,
): Promise<DetectedObject[][]> {
  const pool = new DevicePool(farm.usb);
  await pool.refresh();
  const runtime = options.runtime ?? new LiteRtRuntime(nodeLiteRtLoader);
  try {
    const load = (name: FixtureName) =>
      new PartitionedEngine({ runtime, tpu: pool.opRunner({ device: options.device, name }) }).load(
        farm.bytes.get(name)!,
      );
    const seg0 = await load(segments[0]);
    const seg1 = await load(segments[1]);
    const detections: DetectedObject[][] = [];
    for (const image of images) {
      const prepared = imageToTensor(image, seg0.inputs[0]!, { fit: 'letterbox' });
      const features = (await seg0.run([prepared.data])).outputs.map((t) => t.data);
      detections.push(
        detect((await seg1.run(features)).outputs, {
          threshold: 0.4,
          region: prepared.region,
          imageWidth: image.width,
          imageHeight: image.height,
          ...(options.labels ? { labels: options.labels } : {}),
        }),
      );
    }
    seg0.dispose();
    seg1.dispose();
    return detections;
  } finally {
    await pool.close();
    if (!options.runtime) runtime.discard();
  }
}
