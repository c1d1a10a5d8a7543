/** Shared by the runtime tests: one Node WASM engine per test file, fixture models and images. */
import { decodeImageFile } from '../../../src/cli/image-file.ts';
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import { PartitionedEngine, LiteRtRuntime, type EdgeTpuOpRunner } from '../../../src/lib/runtime/index.ts';
import type { RgbaImage } from '../../../src/lib/tasks/index.ts';
import { readFixture, readFixtureText, type FixtureName } from '../../support/fixtures.ts';

export function cpuEngine(options: { tpu?: EdgeTpuOpRunner } = {}): PartitionedEngine {
  return new PartitionedEngine({ runtime: new LiteRtRuntime(nodeLiteRtLoader), ...options });
}

export async function fixtureImage(name: FixtureName): Promise<RgbaImage> {
  return decodeImageFile(await readFixture(name), name);
}

export async function fixtureLabels(name: FixtureName): Promise<Map<number, string>> {
  const lines = (await readFixtureText(name)).split(/\r?\n/);
  return new Map(lines.map((l, i) => [i, l.trim()]));
}
