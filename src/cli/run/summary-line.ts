/**
 * One image's `reef run` result on one line (for runs over several images), from the same JSON
 * object `--json` prints, so the text and JSON outputs cannot disagree.
 */

interface Scored {
  id: number;
  label: string;
  score: number;
}

function results(json: Record<string, unknown>): string {
  switch (json['task']) {
    case 'classify': {
      const classes = json['classes'] as Scored[];
      return classes.length ? classes.map((c) => `${c.score.toFixed(5)} ${c.label} (${c.id})`).join('; ') : 'no class';
    }
    case 'detect': {
      const objects = json['objects'] as (Scored & { box: Record<'xmin' | 'ymin' | 'xmax' | 'ymax', number> })[];
      const list = objects.map(
        (o) =>
          `${o.score.toFixed(3)} ${o.label} (${o.id}) [${o.box.xmin}, ${o.box.ymin}, ${o.box.xmax}, ${o.box.ymax}]`,
      );
      return `${objects.length} object${objects.length === 1 ? '' : 's'}${list.length ? `: ${list.join('; ')}` : ''}`;
    }
    case 'segment': {
      const classes = json['classes'] as { id: number; label: string; pixels: number }[];
      return classes.map((c) => `${c.label} (${c.id}) ${c.pixels} px`).join('; ');
    }
    case 'pose': {
      const poses = json['poses'] as { score: number }[];
      return poses.map((p, i) => `pose ${i} score ${p.score}`).join('; ') || 'no pose';
    }
    default:
      return '';
  }
}

export function summaryLine(json: Record<string, unknown>): string {
  const runs = typeof json['runs'] === 'number' ? json['runs'] : 1;
  const time = runs > 1 ? `${json['ms']} ms median of ${runs} (${json['msMin']}–${json['msMax']})` : `${json['ms']} ms`;
  return `${json['task']}: ${results(json)}  [${time} on ${json['engine']} (${json['device']})]`;
}
