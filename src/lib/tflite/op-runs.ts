/**
 * Contiguous runs of ops that share a placement: the one grouping behind both the runtime's
 * partitioner (what runs where) and the model inspection's segments (what `reef inspect` shows).
 */
export interface OpRun<P> {
  placement: P;
  /** Op indices, ascending and contiguous. */
  ops: number[];
}

/**
 * `placements[i]` is op i's placement. Neighbours with one placement join one run when `joins`
 * says that placement's ops may share a run (e.g. LiteRT ops do, each Reef kernel stands alone).
 */
export function opRuns<P>(placements: readonly P[], joins: (placement: P) => boolean = () => true): OpRun<P>[] {
  const runs: OpRun<P>[] = [];
  placements.forEach((placement, index) => {
    const last = runs.at(-1);
    if (last && last.placement === placement && joins(placement)) last.ops.push(index);
    else runs.push({ placement, ops: [index] });
  });
  return runs;
}
