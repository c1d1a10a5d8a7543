/**
 * The composed model (compiled extractor + trained head) end to end on the virtual Coral: the Edge
 * TPU op goes through Reef's driver to the emulator (which computes it with the CPU twin — a test
 * double, never a hardware figure) and the head runs on the CPU. It must equal the same head
 * composed onto the CPU twin and run entirely in WASM.
 */
import { describe, expect, it, vi } from 'vitest';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { openEdgeTpu } from '../../../src/lib/edgetpu/driver/edge-tpu.ts';
import { augmentMany, composeModel, embedImages, imprintHead, tf } from '../../../src/lib/learn/index.ts';
import { EdgeTpuEngine } from '../../../src/lib/runtime/index.ts';
import { imageToTensor } from '../../../src/lib/tasks/index.ts';
import { twinCompute } from '../../emulator/node-twin.ts';
import { VirtualCoral } from '../../emulator/virtual-coral.ts';
import { readFixture } from '../../support/fixtures.ts';
import { loadClassImages } from './images.ts';
import { wasmEngine } from './litert-harness.ts';

vi.setConfig({ testTimeout: 180_000 });

describe('composed model on the virtual Coral', () => {
  it('gives the same scores as the CPU-twin composition, with the extractor on the (virtual) Edge TPU', async () => {
    await tf.setBackend('cpu');
    const compiled = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite');
    const twin = await readFixture('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    const sources = await loadClassImages();
    const images = sources.flatMap((s, c) => augmentMany(s, 2, 224, 224, 40 + c));
    const labels = Int32Array.from(images, (_, i) => Math.floor(i / 2));
    const extractor = await wasmEngine().load(twin);
    const { embeddings } = await embedImages(extractor, images);
    extractor.dispose();
    const head = imprintHead({ embeddings, dim: 1024, labels, numClasses: 3 });
    const names = ['cat', 'bird', 'person'];
    const onTpuBytes = composeModel(compiled, head, embeddings, { labels: names });
    const onCpuBytes = composeModel(twin, head, embeddings, { labels: names });
    head.dispose();

    const coral = new VirtualCoral({ firmwareLoaded: true });
    coral.registerModel('composed', onTpuBytes, await twinCompute(onTpuBytes, twin));
    const tpu = await openEdgeTpu(coral.device!, {
      label: 'usb:0',
      transferTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    const engine = new EdgeTpuEngine(tpu, { loader: nodeLiteRtLoader, closeDevice: true });
    const onTpu = await engine.load(onTpuBytes);
    const onCpu = await wasmEngine().load(onCpuBytes);
    expect(onTpu.device).toContain('usb:0');
    for (let c = 0; c < 3; c++) {
      const input = imageToTensor(sources[c]!, onCpu.inputs[0]!).data;
      const a = await onTpu.run([input]);
      const b = await onCpu.run([input]);
      expect(Array.from(a.outputs[0]!.data as Uint8Array)).toEqual(Array.from(b.outputs[0]!.data as Uint8Array));
      const scores = Array.from(b.outputs[0]!.data as Uint8Array);
      expect(scores.indexOf(Math.max(...scores))).toBe(c);
    }
    expect(tpu.stats.inferences).toBe(3);
    expect(coral.violations).toEqual([]);
    onTpu.dispose();
    onCpu.dispose();
    engine.dispose();
    await engine.closed;
  });
});
