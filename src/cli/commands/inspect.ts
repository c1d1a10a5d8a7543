import { inspectModel, type InspectedTensor, type ModelInspection } from '../../lib/edgetpu/executable/index.ts';
import type { Command } from '../command.ts';
import { readInputFile } from '../input-files.ts';
import { parseOptions } from '../options.ts';

/**
 * How many entries of each list a report shows. A hostile model can list one tensor as 100,000
 * inputs, or give it a 64 KiB name: printed in full that is gigabytes (JSON.stringify then fails
 * with "Invalid string length"), so reports stay bounded whatever the model claims.
 */
export const LIST_LIMITS = {
  io: 64,
  ops: 2000,
  segments: 500,
  unsupported: 500,
  labels: 2000,
  customOps: 100,
  warnings: 100,
} as const;
export const MAX_STRING_CHARS = 1024;

const USAGE = `Usage: reef inspect <model.tflite> [--json]

Describes a TFLite / Edge TPU model: inputs and outputs (dtype, shape, quantization), every op
with where it runs (tpu or cpu), the CPU/TPU segments, the Edge TPU package (runtime version,
compiler, executables, parameter bytes and caching tokens, on-chip cache fit), labels, and for
CPU models whether they could compile for the Edge TPU.

Options:
  --json   print the inspection as JSON (the same object as inspectModel() in src/lib)

Long lists are cut (inputs/outputs after ${LIST_LIMITS.io}, ops after ${LIST_LIMITS.ops}, labels after
${LIST_LIMITS.labels}, strings after ${MAX_STRING_CHARS} characters); the JSON's "omitted" says how many
entries each list lost.
`;

/** Entries left out of a bounded report, per list (only lists that were cut). */
export type Omitted = Partial<Record<keyof typeof LIST_LIMITS, number>>;

function clip(text: string): string {
  return text.length <= MAX_STRING_CHARS
    ? text
    : `${text.slice(0, MAX_STRING_CHARS)}… (${text.length - MAX_STRING_CHARS} more characters)`;
}

/** The report with every list and string cut to LIST_LIMITS / MAX_STRING_CHARS, and what was cut. */
export function boundInspection(r: ModelInspection): ModelInspection & { omitted?: Omitted } {
  const omitted: Omitted = {};
  const cut = <T>(list: T[], key: keyof typeof LIST_LIMITS, each: (item: T) => T = (x) => x): T[] => {
    const limit = LIST_LIMITS[key];
    if (list.length > limit) omitted[key] = (omitted[key] ?? 0) + list.length - limit;
    return list.slice(0, limit).map(each);
  };
  const tensor = (t: InspectedTensor): InspectedTensor => ({ ...t, name: clip(t.name) });
  return {
    ...r,
    description: clip(r.description),
    inputs: cut(r.inputs, 'io', tensor),
    outputs: cut(r.outputs, 'io', tensor),
    ops: cut(r.ops, 'ops', (op) => ({ ...op, opcode: clip(op.opcode) })),
    segments: cut(r.segments, 'segments', (seg) =>
      seg.ops.length > LIST_LIMITS.ops ? { ...seg, ops: seg.ops.slice(0, LIST_LIMITS.ops) } : seg,
    ),
    edgetpu: r.edgetpu
      ? {
          ...r.edgetpu,
          compilerVersion: clip(r.edgetpu.compilerVersion),
          executables: r.edgetpu.executables.map((x) => ({ ...x, name: clip(x.name) })),
        }
      : null,
    compatibility: r.compatibility
      ? {
          ...r.compatibility,
          unsupported: cut(r.compatibility.unsupported, 'unsupported', (u) => ({
            ...u,
            opcode: clip(u.opcode),
            reason: clip(u.reason),
          })),
          predictedPlacement: r.compatibility.predictedPlacement.slice(0, LIST_LIMITS.ops),
        }
      : null,
    customOps: cut(r.customOps, 'customOps', clip),
    labels: r.labels ? cut(r.labels, 'labels', clip) : null,
    metadata: r.metadata
      ? {
          name: r.metadata.name === null ? null : clip(r.metadata.name),
          description: r.metadata.description === null ? null : clip(r.metadata.description),
          normalization: r.metadata.normalization
            ? {
                mean: r.metadata.normalization.mean.slice(0, 16),
                std: r.metadata.normalization.std.slice(0, 16),
              }
            : null,
        }
      : null,
    warnings: cut(r.warnings, 'warnings', clip),
    // Only when something was cut, so a normal report is exactly inspectModel()'s object.
    ...(Object.keys(omitted).length ? { omitted } : {}),
  };
}

function quant(t: InspectedTensor): string {
  if (t.scale === null) return 'not quantized';
  return `scale ${t.scale} zp ${t.zeroPoint}${t.perChannel ? ' (per channel)' : ''}`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}

function bytes(n: number): string {
  return n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(2)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} B`;
}

/** The human-readable report (the default output). */
export function formatInspection(file: string, r: ModelInspection & { omitted?: Omitted }): string {
  const lines: string[] = [];
  lines.push(
    `${file}: ${bytes(r.bytes)}, TFLite schema v${r.schemaVersion}${r.description ? `, "${r.description}"` : ''}`,
  );
  lines.push(`${r.subgraphs} subgraph(s), ${r.tensors} tensors, ${r.ops.length} ops`);
  const io = (title: string, tensors: InspectedTensor[]) => {
    lines.push('', `${title}:`);
    lines.push(
      ...table(tensors.map((t, i) => [String(i), shortName(t.name), t.dtype, `[${t.shape.join(',')}]`, quant(t)])),
    );
  };
  io('Inputs', r.inputs);
  io('Outputs', r.outputs);
  lines.push('', 'Ops:');
  lines.push(...table([['#', 'opcode', 'runs on'], ...r.ops.map((op) => [String(op.index), op.opcode, op.placement])]));
  lines.push(
    '',
    `Segments: ${r.segments.map((s) => `${s.placement}[${s.ops.length === 1 ? s.ops[0] : `${s.ops[0]}-${s.ops[s.ops.length - 1]}`}]`).join(' → ') || '(none)'}`,
  );
  if (r.edgetpu) {
    const e = r.edgetpu;
    lines.push(
      '',
      `Edge TPU: needs runtime ${e.minRuntimeVersion}+, compiler "${e.compilerVersion}", chip ${e.chip || '?'}`,
    );
    lines.push(
      ...table([
        ['type', 'name', 'parameters', 'caching token'],
        ...e.executables.map((x) => [x.type, x.name, bytes(x.parameterBytes), x.cachingToken]),
      ]),
    );
    const fit = e.parameterCacheFit;
    lines.push(
      `  parameter cache: ${bytes(fit.cachedBytes)} of ${bytes(fit.cacheBytes)} ${fit.fits ? '(fits)' : '(does NOT fit: the rest streams each inference)'}; streamed per inference: ${bytes(fit.streamedBytes)}`,
    );
  }
  if (r.compatibility) {
    const c = r.compatibility;
    const mapped = c.predictedPlacement.filter((p) => p === 'tpu').length;
    lines.push(
      '',
      c.compatible
        ? 'Edge TPU compatibility: every op could be mapped to the Edge TPU'
        : `Edge TPU compatibility: ${c.unsupported.length} problem(s); about ${mapped} of ${c.predictedPlacement.length} ops would be mapped`,
    );
    lines.push(
      ...table(c.unsupported.map((u) => [u.index >= 0 ? String(u.index) : '-', u.opcode || 'model', u.reason])),
    );
  }
  if (r.labels)
    lines.push(
      '',
      `Labels: ${r.labels.length + (r.omitted?.labels ?? 0)} (${r.labels.slice(0, 5).join(', ')}${r.labels.length > 5 ? ', …' : ''})`,
    );
  if (r.metadata?.normalization)
    lines.push(
      `Input normalization: mean ${r.metadata.normalization.mean.join(',')} std ${r.metadata.normalization.std.join(',')}`,
    );
  if (r.warnings.length) lines.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  const omitted = Object.entries(r.omitted ?? {});
  if (omitted.length) lines.push('', `Left out: ${omitted.map(([list, n]) => `${n} ${list}`).join(', ')}`);
  return lines.join('\n');
}

/** Converted graphs join every fused op's name with ';': keep a table row readable (the JSON has it all). */
function shortName(name: string, max = 60): string {
  if (!name) return '(unnamed)';
  if (name.length <= max) return name;
  const half = Math.floor((max - 1) / 2);
  return `${name.slice(0, half)}…${name.slice(-half)}`;
}

export const command: Command = {
  name: 'inspect',
  summary: 'describe a .tflite / Edge TPU model (I/O, ops and placement, executables, labels)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals: files } = parseOptions({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false } },
    });
    const json = values.json;
    if (files.length !== 1) {
      io.err(USAGE);
      return 2;
    }
    const file = files[0] as string;
    const bytes = await readInputFile(file);
    const report = boundInspection(inspectModel(bytes));
    io.out(json ? JSON.stringify(report, null, 2) : formatInspection(file, report));
    return 0;
  },
};
