/**
 * Model I/O speed: parse + inspect (readModel, every Edge TPU package and executable decoded,
 * inspection) of the large fixtures — the ~3.5 MB embedding extractor, the 4 MB fish detector and
 * the two SSD pipeline segments — against a goal of 20 ms for 4 MB. Two baselines measured in the
 * same run: copying the file (`new Uint8Array(bytes)`, the floor for touching the bytes at all) and
 * an unchecked walk with flatbuffers' plain ByteBuffer over the same generated accessors (what the
 * bounds checks and plain-object building cost on top).
 */
import { ByteBuffer } from 'flatbuffers';
import { inspectModel } from '../../src/lib/edgetpu/executable/index.ts';
import { Model } from '../../src/lib/tflite/generated/tflite/tflite/model.ts';
import { readModel, writeModel } from '../../src/lib/tflite/index.ts';
import { readFixture, type FixtureName } from '../support/fixtures.ts';

const GOAL_MS_PER_4MB = 20;
const MODELS: FixtureName[] = [
  'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
  'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
  'fish_ssd_detect_edgetpu.tflite',
  'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite',
  'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite',
];

function median(run: () => unknown, iterations: number): number {
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The unchecked baseline: generated accessors over a plain ByteBuffer, touching what readModel reads. */
function rawWalk(bytes: Uint8Array): number {
  const model = Model.getRootAsModel(new ByteBuffer(bytes));
  let sum = 0;
  for (let s = 0; s < model.subgraphsLength(); s++) {
    const graph = model.subgraphs(s)!;
    for (let t = 0; t < graph.tensorsLength(); t++) {
      const tensor = graph.tensors(t)!;
      sum += (tensor.name()?.length ?? 0) + tensor.shapeLength() + tensor.buffer();
      const q = tensor.quantization();
      if (q) for (let i = 0; i < q.scaleLength(); i++) sum += q.scale(i) ?? 0;
    }
    for (let o = 0; o < graph.operatorsLength(); o++) sum += graph.operators(o)!.customOptionsLength();
  }
  for (let b = 0; b < model.buffersLength(); b++) sum += model.buffers(b)!.dataLength();
  return sum;
}

let worstPer4Mb = 0;
console.log(
  'model                                                          MB   copy ms  raw walk ms  parse+inspect ms  vs copy  vs raw  write ms',
);
for (const name of MODELS) {
  const bytes = await readFixture(name);
  const copy = median(() => new Uint8Array(bytes), 30);
  const raw = median(() => rawWalk(bytes), 30);
  const inspect = median(() => inspectModel(bytes), 30);
  const model = readModel(bytes);
  const write = median(() => writeModel(model), 10);
  const mb = bytes.length / 1024 / 1024;
  worstPer4Mb = Math.max(worstPer4Mb, (inspect / bytes.length) * 4 * 1024 * 1024);
  console.log(
    `${name.slice(0, 60).padEnd(60)} ${mb.toFixed(2).padStart(5)} ${copy.toFixed(3).padStart(9)} ${raw.toFixed(3).padStart(12)} ${inspect
      .toFixed(3)
      .padStart(
        17,
      )} ${(inspect / copy).toFixed(1).padStart(7)}x ${(inspect / raw).toFixed(1).padStart(6)}x ${write.toFixed(2).padStart(9)}`,
  );
}
console.log(`parse+inspect, worst case scaled to 4 MB: ${worstPer4Mb.toFixed(2)} ms (goal ${GOAL_MS_PER_4MB} ms)`);
console.log(`ratio to the goal: ${(worstPer4Mb / GOAL_MS_PER_4MB).toFixed(3)}x`);
