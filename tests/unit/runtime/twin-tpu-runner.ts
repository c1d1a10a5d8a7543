/**
 * A test double for the Edge TPU op: it runs the matching slice of the model's CPU twin in LiteRT.
 * Compiled models keep the twin's tensor names, so the TPU op's inputs and outputs are found in the
 * twin by name. This is not a hardware result; it lets the composite engine's CPU ops before and
 * after the TPU op be checked against a full CPU run now.
 */
import { nodeLiteRtLoader } from '../../../src/cli/litert-node.ts';
import {
  LiteRtRuntime,
  type EdgeTpuOpRunner,
  type LiteRtGraph,
  type PreparedTpuOp,
} from '../../../src/lib/runtime/index.ts';
import { readModel, sliceModel, writeModel } from '../../../src/lib/tflite/index.ts';

export function twinTpuRunner(twinBytes: Uint8Array): EdgeTpuOpRunner & { calls: number } {
  const twin = readModel(twinBytes);
  const subgraph = twin.subgraphs[0]!;
  const runtime = new LiteRtRuntime(nodeLiteRtLoader);
  const byName = (name: string): number => {
    const index = subgraph.tensors.findIndex((t) => t.name === name);
    if (index < 0) throw new Error(`twin has no tensor named ${name}`);
    return index;
  };
  const runner = {
    device: 'twin',
    calls: 0,
    async prepare(op): Promise<PreparedTpuOp> {
      const inputs = op.inputs.map((t) => byName(t.name));
      const outputs = op.outputs.map((t) => byName(t.name));
      const first = subgraph.operators.findIndex((o) => o.inputs.some((t) => inputs.includes(t)));
      const last = Math.max(...outputs.map((t) => subgraph.operators.findIndex((o) => o.outputs.includes(t))));
      const graph: LiteRtGraph = await runtime.compile(writeModel(sliceModel(twin, first, last, inputs, outputs)));
      return {
        async run(values) {
          runner.calls++;
          return (await graph.run(values.map((v) => v.data))).map((o) => o.data);
        },
        dispose: () => graph.delete(),
      };
    },
  } satisfies EdgeTpuOpRunner & { calls: number };
  return runner;
}
