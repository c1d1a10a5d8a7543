/**
 * Layering inside src/lib (ARCHITECTURE.md): an area imports only areas below it, and those only
 * through their `index.ts`, so an area's internals can move without breaking its users. The shared
 * base (`errors.ts`, `deadline.ts`, `sha256.ts`, `image-format.ts` at the top of src/lib) is open to
 * every area and imports none.
 *
 * Resolved from the file's own path (the part after the last `src/lib/`), so the same rule checks
 * the real tree and the lint test's fixture tree.
 */
import { dirname, posix, sep } from 'node:path';

/** Lower number = lower layer. Areas on one rank must not import each other. */
export const LIB_LAYERS = {
  tflite: 1,
  edgetpu: 2,
  runtime: 3,
  tasks: 4,
  store: 4,
  zoo: 4,
  // learn pre-processes training images with the tasks' own image code, so training and inference
  // see the same pixels: it sits one step above tasks.
  learn: 5,
  // doctor checks the whole stack (devices, engines, tasks, zoo pins): the top of src/lib.
  doctor: 6,
};

const BASE = new Set(['errors.ts', 'deadline.ts', 'sha256.ts', 'image-format.ts']);

/** `{ root, area, rest }` of a path under src/lib, or undefined outside it. */
function placeOf(path) {
  const p = path.split(sep).join('/');
  const at = p.lastIndexOf('/src/lib/');
  if (at < 0) return undefined;
  const inner = p.slice(at + '/src/lib/'.length);
  const [area, ...rest] = inner.split('/');
  return { root: p.slice(0, at + '/src/lib'.length), area, rest: rest.join('/') };
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'src/lib areas import only lower areas, and only through their index.ts' },
    schema: [],
    messages: {
      upward: '{{from}} may not import {{to}}: imports go downward ({{order}}).',
      sideways: '{{from}} may not import {{to}}: areas on the same layer stay independent ({{order}}).',
      deep: "{{from}} imports {{to}}'s internals ({{path}}): go through {{to}}/index.ts.",
      base: 'src/lib/{{from}} is the shared base: it imports no area ({{to}}).',
      unknown: '{{to}} is not a known src/lib area: add it to LIB_LAYERS in eslint-rules/lib-layers.js.',
    },
  },
  create(context) {
    const file = placeOf(context.filename);
    if (!file) return {};
    const order = Object.entries(LIB_LAYERS)
      .map(([a, r]) => `${r}:${a}`)
      .join(' < ');
    function check(node) {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = placeOf(posix.join(dirname(context.filename).split(sep).join('/'), spec));
      if (!target || target.root !== file.root || target.area === file.area) return;
      if (BASE.has(target.area) && !target.rest) return;
      const report = (messageId, data) => context.report({ node: node.source, messageId, data });
      if (BASE.has(file.area) && !file.rest) return report('base', { from: file.area, to: target.area });
      const from = LIB_LAYERS[file.area];
      const to = LIB_LAYERS[target.area];
      if (to === undefined) return report('unknown', { to: target.area });
      if (from === undefined) return report('unknown', { to: file.area });
      if (to > from) return report('upward', { from: file.area, to: target.area, order });
      if (to === from) return report('sideways', { from: file.area, to: target.area, order });
      if (target.rest !== 'index.ts') {
        return report('deep', { from: file.area, to: target.area, path: `${target.area}/${target.rest}` });
      }
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
