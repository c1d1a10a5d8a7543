/**
 * Coral's published inference times, to put a measured latency in context. Only figures Coral
 * published are here, each with its source and the USB speed it was measured at; a model or a
 * link speed without one gets no comparison (never an invented figure).
 */
import type { UsbSpeed } from '../edgetpu/index.ts';

export interface PublishedLatency {
  /** The model Coral timed, as named in the source. */
  model: string;
  speed: UsbSpeed;
  ms: number;
  source: string;
}

const BENCHMARKS_PAGE =
  'coral.ai/docs/edgetpu/benchmarks, table 1 "Time per inference": Desktop CPU + USB Accelerator (USB 3.0) with Edge TPU';

/**
 * By compiled file name. The embedding extractor is MobileNet v1 1.0 224 without its 1×1 logits
 * conv and softmax (about 1 M of its 4.2 M parameters), so the published MobileNet v1 (224x224)
 * figure is a close upper reference for it, and it is the only self-test model Coral timed.
 */
export const PUBLISHED_LATENCY: Record<string, readonly PublishedLatency[]> = {
  'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite': [
    { model: 'MobileNet v1 (224x224)', speed: 'super', ms: 2.4, source: BENCHMARKS_PAGE },
  ],
};

/** Within this factor of the published figure the latency verdict is "as expected". */
export const LATENCY_FACTOR_OK = 2;

export function publishedLatency(model: string, speed: UsbSpeed): PublishedLatency | undefined {
  return PUBLISHED_LATENCY[model]?.find((p) => p.speed === speed);
}
