import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { inspectModel, PARAMETER_CACHE_BYTES } from '../../../../src/lib/edgetpu/executable/index.ts';
import { fixturePath, readFixture, type FixtureName } from '../../../support/fixtures.ts';
import { MODEL_FACTS } from '../../tflite/model-facts.ts';

const root = new URL('../../../../', import.meta.url).pathname;

describe('inspectModel on every fixture model', () => {
  for (const [name, fact] of Object.entries(MODEL_FACTS)) {
    it(name, async () => {
      const bytes = await readFixture(name as FixtureName);
      const report = inspectModel(bytes);
      // JSON-serializable: nothing is lost through JSON.
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
      expect(report.bytes).toBe(bytes.length);
      expect(report.inputs.map((t) => [t.name.slice(0, 80), t.dtype, t.shape])).toEqual(
        fact.inputs.map((t) => [t.name, t.dtype, t.shape]),
      );
      expect(report.outputs.map((t) => [t.dtype, t.shape, t.scale === null ? null : t.zeroPoint])).toEqual(
        fact.outputs.map((t) => [t.dtype, t.shape, t.quant ? t.quant[1] : null]),
      );
      expect(report.ops).toHaveLength(fact.ops);
      for (const op of report.ops) expect(op.placement).toBe(op.opcode === 'edgetpu-custom-op' ? 'tpu' : 'cpu');
      // Segments cover every op once, in order, alternating placement.
      expect(report.segments.flatMap((s) => s.ops)).toEqual(report.ops.map((o) => o.index));
      report.segments.slice(1).forEach((s, i) => expect(s.placement).not.toBe(report.segments[i]!.placement));
      if (fact.edgetpu) {
        const e = report.edgetpu!;
        expect(e.minRuntimeVersion).toBe(fact.edgetpu.minRuntimeVersion);
        expect(e.compilerVersion).toBe(fact.edgetpu.compilerVersion);
        expect(
          e.executables.map((x) => ({ type: x.type, name: x.name, params: x.parameterBytes, token: x.cachingToken })),
        ).toEqual(fact.edgetpu.executables);
        const cached = fact.edgetpu.executables.find((x) => x.type === 'PARAMETER_CACHING')?.params ?? 0;
        expect(e.parameterCacheFit).toEqual({
          cachedBytes: cached,
          streamedBytes: fact.edgetpu.executables.find((x) => x.type !== 'PARAMETER_CACHING')!.params,
          cacheBytes: PARAMETER_CACHE_BYTES,
          fits: true,
        });
        expect(report.compatibility).toBeNull();
      } else {
        expect(report.edgetpu).toBeNull();
        expect(report.compatibility).not.toBeNull();
      }
      // Models carrying TFLITE_METADATA (test_data HEAD) have the ImageNet label ZIP appended.
      expect(report.labels?.length ?? null).toBe(fact.metadata.includes('TFLITE_METADATA') ? 1001 : null);
    });
  }

  it('segments of a model with CPU ops on both sides of the Edge TPU op (movenet)', async () => {
    const report = inspectModel(await readFixture('movenet_single_pose_lightning_ptq_edgetpu.tflite'));
    expect(report.segments.map((s) => [s.placement, s.ops.length])).toEqual([
      ['cpu', 2],
      ['tpu', 1],
      ['cpu', 57],
    ]);
  });

  it('SSD segment 1: Edge TPU op, then DEQUANTIZE ×2 and the post-processing custom op on the CPU', async () => {
    const report = inspectModel(
      await readFixture('ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite'),
    );
    expect(report.segments).toEqual([
      { placement: 'tpu', ops: [0] },
      { placement: 'cpu', ops: [1, 2, 3] },
    ]);
    expect(report.customOps.sort()).toEqual(['TFLite_Detection_PostProcess', 'edgetpu-custom-op']);
  });
});

describe('reef inspect', () => {
  it('prints a table for a compiled model', async () => {
    const file = await fixturePath('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
    const r = spawnSync('node', ['bin/reef.js', 'inspect', file], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('edgetpu-custom-op  tpu');
    expect(r.stdout).toContain('PARAMETER_CACHING  Unknown  553.6 KiB   7860026270054507660');
    expect(r.stdout).toContain('needs runtime 12+');
    expect(r.stdout).toContain('Labels: 1001 (background');
  });

  it('prints JSON equal to inspectModel with --json', async () => {
    const name = 'split_concat_edgetpu.tflite';
    const r = spawnSync('node', ['bin/reef.js', 'inspect', await fixturePath(name), '--json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(inspectModel(await readFixture(name)))));
  });

  it('reports a non-model with its reason and exit code 1', async () => {
    const r = spawnSync('node', ['bin/reef.js', 'inspect', await fixturePath('cat.bmp')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[INVALID_ARGUMENT/bad-magic]');
  });

  it('lists compatibility problems for a CPU model', async () => {
    const file = await fixturePath('fish_ssd_detect.tflite');
    const r = spawnSync('node', ['bin/reef.js', 'inspect', file], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Edge TPU compatibility:');
    expect(r.stdout).toContain('TFLite_Detection_PostProcess');
  });
});
